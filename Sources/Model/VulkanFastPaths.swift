import Foundation
import VulkanRuntime

/// The Vulkan engine's optional fast paths. Each is used only where the device supports it and where the
/// per-device self-check (`VulkanSelfCheck`) passed; otherwise the per-layer float32 kernels run.
public struct VulkanFastPaths: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// One dispatch per inverted-residual block, the expanded activations kept in shared memory.
    public static let fusedBlocks = VulkanFastPaths(rawValue: 1 << 0)
    /// Cooperative-matrix (tensor core) kernels for the 1×1 convolutions and the head.
    public static let cooperativeMatrix = VulkanFastPaths(rawValue: 1 << 1)
    /// float16 arithmetic at `--precision fp16` on devices with shaderFloat16.
    public static let float16Arithmetic = VulkanFastPaths(rawValue: 1 << 2)
    /// `head_pool` / `global_average_pool` adding their sums with subgroup arithmetic (`KernelReduction`),
    /// where `KernelReduction.choose` picks it (GPUs with it in compute shaders).
    public static let subgroupReductions = VulkanFastPaths(rawValue: 1 << 3)
    /// A per-layer block's 1×1 convolutions in another GEMM variant, or its depthwise with another column
    /// count, than the device's default, where the launch tuning measured one faster
    /// (`PointwiseConv.Vulkan.Variant.alternatives`, `DepthwiseConv.Vulkan.columnAlternatives`).
    public static let kernelVariants = VulkanFastPaths(rawValue: 1 << 4)

    /// The paths the launch tuning chooses per block (`VulkanEngine+LaunchTuning`).
    public static let tuned: VulkanFastPaths = [.fusedBlocks, .kernelVariants]

    /// Every fast path (the default: each still needs the device's support).
    public static let all: VulkanFastPaths = [.fusedBlocks, .cooperativeMatrix, .float16Arithmetic, .subgroupReductions,
                                              .kernelVariants]

    /// The paths `info`'s device has what they need for at `precision` (what `imgfeat devices` lists); the
    /// network decides per model and device which it records (`VulkanEngine.activeFastPaths`).
    public static func supported(by info: DeviceInfo, precision: VulkanPrecision) -> VulkanFastPaths {
        // Fused blocks need only shared memory (tile shapes adapt to the device); the GEMM variants nothing.
        var paths: VulkanFastPaths = [.fusedBlocks, .kernelVariants]
        if precision == .fp16 && info.supportsFloat16Arithmetic { paths.insert(.float16Arithmetic) }
        if !info.cooperativeMatrix.kernelShapes.isEmpty { paths.insert(.cooperativeMatrix) }
        if KernelReduction.choose(info) == .subgroup { paths.insert(.subgroupReductions) }
        return paths
    }

    /// The paths named by `names` (as `names` spells them); nil when one is unknown.
    public init?(names: [String]) {
        var paths: VulkanFastPaths = []
        for name in names {
            guard let path = Self.byName[name] else { return nil }
            paths.insert(path)
        }
        self = paths
    }

    /// Each single path of this set, in the fixed order of `names`.
    public var members: [VulkanFastPaths] {
        Self.named.map(\.path).filter { contains($0) }
    }

    /// Every single path with its name, in the fixed order of `members` and `names`.
    private static let named: [(path: VulkanFastPaths, name: String)] = [
        (.fusedBlocks, "fused-blocks"), (.cooperativeMatrix, "coopmat"), (.float16Arithmetic, "fp16-arithmetic"),
        (.subgroupReductions, "subgroup-reductions"), (.kernelVariants, "kernel-variants"),
    ]
    private static let byName = Dictionary(uniqueKeysWithValues: named.map { ($0.name, $0.path) })

    /// Names for messages and summaries, in a fixed order.
    public var names: [String] { Self.named.filter { contains($0.path) }.map(\.name) }
}
