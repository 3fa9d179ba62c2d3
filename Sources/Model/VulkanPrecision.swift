import Foundation
import VulkanRuntime

/// Storage precision of the Vulkan engine's activations; weights and biases are float32 either way, and so
/// is the arithmetic but where `arithmetic(for:)` says otherwise. `fp16` stores the wide tensors in 16 bits:
/// see `boundedFormat` and docs/VULKAN.md for why the ReLU6 outputs use 16-bit fixed point rather than float16.
public enum VulkanPrecision: String, Sendable, CaseIterable {
    case fp32, fp16

    /// The network input (written by the engine with `encode` or by the preprocessing shader): float32 at
    /// both precisions. It is 3 channels (2 % of the activation bytes at 224), and float16's rounding of
    /// the [-1, 1] values alone moved fp16 features by 4e-3 of their scale with the fixture weights.
    public var inputFormat: StorageFormat { .float32 }
    /// The ReLU6 outputs of the stem, expand and depthwise convolutions (and of the head when it is not
    /// fused with the pool): the wide tensors, nearly all of the activation bytes.
    public var boundedFormat: StorageFormat { self == .fp16 ? .unorm16 : .float32 }
    /// The projections' outputs, i.e. the residual stream: narrow, signed, unbounded, and the tensors whose
    /// rounding the rest of the network amplifies most; float32 at both precisions.
    public var streamFormat: StorageFormat { .float32 }

    /// The arithmetic of each role's kernels at this precision where float16 arithmetic is available and
    /// allowed (`VulkanFastPaths.float16Arithmetic`, the device's shaderFloat16); float32 elsewhere and
    /// always at fp32. From the error study in docs/VULKAN.md ("fp16 arithmetic"): rounding the weights
    /// of any layer before the head to float16 costs 8e-3–1.5e-2 against Keras by itself (so float16
    /// products, which need float16 weights, do too), while the head in float16 throughout, sums
    /// included, costs 1.6e-3; float16 products with float32 sums would save nothing on a GPU.
    public func arithmetic(for role: LayerRole) -> KernelArithmetic {
        guard self == .fp16 else { return .float32 }
        switch role {
        case .stem, .expand, .depthwise, .project: return .float32
        case .head: return .float16
        }
    }

    /// Bytes per element of the network input.
    public var elementSize: Int { inputFormat.size }


    /// Throws unless the context can store this precision.
    func check(_ context: VulkanContext) throws {
        if self == .fp16 { try requireStorage16(context) }
    }

    /// Network input values encoded as stored on the device.
    public func encode(_ values: [Float]) -> [UInt8] { inputFormat.encode(values) }

    /// Reads `count` stored network-input elements from host-visible memory as floats.
    public func decode(_ buffer: Buffer, count: Int, at element: Int = 0) throws -> [Float] {
        try inputFormat.decode(buffer, count: count, at: element)
    }
}

/// The network's kernels by the role of their layer, for choices made per role.
public enum LayerRole: String, Sendable, CaseIterable {
    case stem, expand, depthwise, project, head
}
