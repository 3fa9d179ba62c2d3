import Foundation

/// The Vulkan engine's optional fast paths. Each is used only where the device supports it (and, once
/// the per-device self-check exists, where it passed there); otherwise the per-layer float32 kernels run.
public struct VulkanFastPaths: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// One dispatch per inverted-residual block, the expanded activations kept in shared memory.
    public static let fusedBlocks = VulkanFastPaths(rawValue: 1 << 0)
    /// Cooperative-matrix (tensor core) kernels for the 1×1 convolutions and the head.
    public static let cooperativeMatrix = VulkanFastPaths(rawValue: 1 << 1)
    /// float16 arithmetic at `--precision fp16` on devices with shaderFloat16.
    public static let float16Arithmetic = VulkanFastPaths(rawValue: 1 << 2)

    /// Every fast path (the default: each still needs the device's support).
    public static let all: VulkanFastPaths = [.fusedBlocks, .cooperativeMatrix, .float16Arithmetic]

    /// Names for messages and summaries, in a fixed order.
    public var names: [String] {
        [(Self.fusedBlocks, "fused-blocks"), (.cooperativeMatrix, "coopmat"), (.float16Arithmetic, "fp16-arithmetic")]
            .filter { contains($0.0) }.map(\.1)
    }
}
