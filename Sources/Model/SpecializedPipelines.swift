import Foundation
import Shaders
import VulkanRuntime

/// One shader's pipelines, built on first use for each set of storage formats and specialization constants.
final class SpecializedPipelines: @unchecked Sendable {
    private struct Key: Hashable {
        let formats: [String: StorageFormat]
        let specialization: [UInt32]
        let arithmetic: KernelArithmetic
        let defines: [String: String]
    }
    private let context: VulkanContext
    private let shader: String
    private let bindings: Int
    private let pushWords: Int
    private let lock = NSLock()
    private var built: [Key: ComputePipeline] = [:]

    init(context: VulkanContext, shader: String, bindings: Int, pushWords: Int) {
        self.context = context
        self.shader = shader
        self.bindings = bindings
        self.pushWords = pushWords
    }

    /// The pipeline for these specialization constants, tensor formats, arithmetic and extra `defines`
    /// (variants chosen at compile time, such as VEC4).
    func get(_ specialization: [UInt32], formats: [String: StorageFormat], arithmetic: KernelArithmetic = .float32,
             defines: [String: String] = [:]) throws -> ComputePipeline {
        try lock.withLock {
            let key = Key(formats: formats, specialization: specialization, arithmetic: arithmetic, defines: defines)
            if let pipeline = built[key] { return pipeline }
            try arithmetic.check(context)
            let pipeline = try makePipeline(context, shader, formats: formats, bindings: bindings, pushWords: pushWords,
                                            specialization: specialization,
                                            extraDefines: defines.merging(arithmetic.defines) { a, _ in a },
                                            extraLabel: (arithmetic == .float32 ? [] : ["arith \(arithmetic)"])
                                                + defines.keys.sorted().map { "\($0)=\(defines[$0]!)" })
            built[key] = pipeline
            return pipeline
        }
    }
}

/// Throws unless the context has 16-bit storage buffers enabled.
func requireStorage16(_ context: VulkanContext) throws {
    if !context.float16StorageEnabled {
        throw VulkanError(call: "VulkanPrecision", message: "fp16 needs 16-bit storage buffers, which \(context.info.name) lacks")
    }
}

/// ceil(a / b) for positive b.
@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }

/// The pipeline for shader `name` at `precision` (whose input is float32 at both), with `bindings`
/// storage buffers and `push` words.
func makePipeline(_ context: VulkanContext, _ name: String, precision: VulkanPrecision, bindings: Int,
                  pushWords: Int, specialization: [UInt32] = []) throws -> ComputePipeline {
    try precision.check(context)
    return try makePipeline(context, name, label: "out \(precision.inputFormat)", defines: [:],
                            bindings: bindings, pushWords: pushWords, specialization: specialization)
}

/// The pipeline for shader `name` with its tensors stored as `formats` (role → format; see
/// `StorageFormat.defines(role:)`).
func makePipeline(_ context: VulkanContext, _ name: String, formats: [String: StorageFormat], bindings: Int,
                  pushWords: Int, specialization: [UInt32] = [], extraDefines: [String: String] = [:],
                  extraLabel: [String] = []) throws -> ComputePipeline {
    if formats.values.contains(where: { $0 != .float32 }) { try requireStorage16(context) }
    let label = (formats.keys.sorted().map { "\($0.lowercased()) \(formats[$0]!)" } + extraLabel).joined(separator: ", ")
    let defines = formats.reduce(into: extraDefines) { $0.merge($1.value.defines(role: $1.key)) { a, _ in a } }
    return try makePipeline(context, name, label: label, defines: defines, bindings: bindings,
                            pushWords: pushWords, specialization: specialization)
}

private func makePipeline(_ context: VulkanContext, _ name: String, label: String, defines: [String: String],
                          bindings: Int, pushWords: Int, specialization: [UInt32]) throws -> ComputePipeline {
    // ShaderSource's error names the file and every folder it looked in.
    return try ComputePipeline(context: context, name: "\(name) (\(label))", source: ShaderSource.named(name, folder: context.shaderSources), defines: defines,
                               bindingCount: bindings, pushConstantBytes: pushWords * 4, specialization: specialization)
}

/// Work-group width for kernels with one invocation per channel: the smallest of 8, 16, 32, 64 that
/// covers `channels` (64 beyond), so narrow layers do not leave most of a work group idle.
func channelGroup(_ channels: Int) -> Int {
    [8, 16, 32].first { channels <= $0 } ?? 64
}
