import Foundation
import Shaders
import VulkanRuntime

/// Storage precision of activations on the device; weights, biases and arithmetic are float32 either way.
public enum VulkanPrecision: String, Sendable, CaseIterable {
    case fp32, fp16

    /// Bytes per stored activation or weight.
    public var elementSize: Int { self == .fp32 ? 4 : 2 }

    /// Shader defines selecting the storage type.
    var defines: [String: String] { self == .fp16 ? ["FP16": "1"] : [:] }

    /// Throws unless the context can store this precision.
    func check(_ context: VulkanContext) throws {
        if self == .fp16 && !context.float16StorageEnabled {
            throw VulkanError(call: "VulkanPrecision", message: "fp16 needs 16-bit storage buffers, which \(context.info.name) lacks")
        }
    }

    /// `values` encoded as stored on the device (float32, or float16 rounded to nearest).
    public func encode(_ values: [Float]) -> [UInt8] {
        switch self {
        case .fp32:
            return values.withUnsafeBytes { Array($0) }
        case .fp16:
            let halves = values.map { Float16($0) }
            return halves.withUnsafeBytes { Array($0) }
        }
    }

    /// Reads `count` stored elements from host-visible memory as floats.
    public func decode(_ buffer: Buffer, count: Int, at element: Int = 0) throws -> [Float] {
        switch self {
        case .fp32: return try buffer.read(Float.self, count: count, at: element)
        case .fp16: return try buffer.read(Float16.self, count: count, at: element).map { Float($0) }
        }
    }
}

/// A 1-D launch of `total` invocations in workgroups of `groupSize`, folded into two grid dimensions
/// because a dimension holds at most 65535 groups; shaders rebuild the index from both.
func flatGrid(total: Int, groupSize: Int) -> (Int, Int, Int) {
    let groups = max(1, (total + groupSize - 1) / groupSize)
    let x = min(groups, 65535)
    return (x, (groups + x - 1) / x, 1)
}

/// ceil(a / b) for positive b.
@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }

/// The pipeline for shader `name` at `precision`, with `bindings` storage buffers and `push` words.
func makePipeline(_ context: VulkanContext, _ name: String, precision: VulkanPrecision, bindings: Int,
                  pushWords: Int, specialization: [UInt32] = []) throws -> ComputePipeline {
    try precision.check(context)
    let source: String
    do { source = try ShaderSource.named(name) } catch {
        throw VulkanError(call: "ShaderSource.named", message: "\(name).comp not found in the Shaders bundle")
    }
    return try ComputePipeline(context: context, name: "\(name) (\(precision.rawValue))", source: source,
                               defines: precision.defines, bindingCount: bindings,
                               pushConstantBytes: pushWords * 4, specialization: specialization)
}

/// Work-group width for kernels with one invocation per channel: the smallest of 8, 16, 32, 64 that
/// covers `channels` (64 beyond), so narrow layers do not leave most of a work group idle.
func channelGroup(_ channels: Int) -> Int {
    [8, 16, 32].first { channels <= $0 } ?? 64
}

/// One shader's pipelines, built on first use for each set of specialization constants.
final class SpecializedPipelines: @unchecked Sendable {
    private let context: VulkanContext
    private let shader: String
    private let precision: VulkanPrecision
    private let bindings: Int
    private let pushWords: Int
    private let lock = NSLock()
    private var built: [[UInt32]: ComputePipeline] = [:]

    init(context: VulkanContext, shader: String, precision: VulkanPrecision, bindings: Int, pushWords: Int) {
        self.context = context
        self.shader = shader
        self.precision = precision
        self.bindings = bindings
        self.pushWords = pushWords
    }

    func get(_ specialization: [UInt32]) throws -> ComputePipeline {
        try lock.withLock {
            if let pipeline = built[specialization] { return pipeline }
            let pipeline = try makePipeline(context, shader, precision: precision, bindings: bindings,
                                            pushWords: pushWords, specialization: specialization)
            built[specialization] = pipeline
            return pipeline
        }
    }
}
