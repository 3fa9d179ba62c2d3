import Foundation
import Shaders
import VulkanRuntime

/// How one tensor is stored on the device. Each kernel's launcher turns the formats of its tensors into
/// the shader's `IN_T` / `LOAD_IN(v)` / `STORE_IN(v)` (and `OUT_…`) macros, so the GLSL type, the
/// conversions and the host encoding below are defined in one place.
public enum StorageFormat: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE float32.
    case float32
    /// IEEE float16, rounded to nearest even (relative step 2⁻¹⁰).
    case float16
    /// Unsigned 16-bit fixed point over [0, 6], for ReLU6 outputs only (stores clamp to [0, 6]):
    /// q = ⌊v · 65535/6 + ½⌋, v = q · 6/65535. Absolute step 9.2e-5 everywhere, where float16's step is
    /// 2e-3–4e-3 between 4 and 6: 16 significant bits instead of 11 for the values that matter.
    case unorm16

    public var description: String { ["float32", "float16", "unorm16"][rawValue] }

    /// Bytes per element.
    public var size: Int { self == .float32 ? 4 : 2 }

    /// The value `v` becomes once stored and loaded again.
    public func stored(_ v: Float) -> Float {
        switch self {
        case .float32: return v
        case .float16: return Float(Float16(v))
        case .unorm16: return Float(Self.quantize(v)) * (6 / 65535)
        }
    }

    /// `values` as stored on the device.
    public func encode(_ values: [Float]) -> [UInt8] {
        switch self {
        case .float32: return values.withUnsafeBytes { Array($0) }
        case .float16: return values.map { Float16($0) }.withUnsafeBytes { Array($0) }
        case .unorm16: return values.map(Self.quantize).withUnsafeBytes { Array($0) }
        }
    }

    /// Reads `count` stored elements from host-visible memory as floats.
    public func decode(_ buffer: Buffer, count: Int, at element: Int = 0) throws -> [Float] {
        switch self {
        case .float32: return try buffer.read(Float.self, count: count, at: element)
        case .float16: return try buffer.read(Float16.self, count: count, at: element).map { Float($0) }
        case .unorm16: return try buffer.read(UInt16.self, count: count, at: element).map { Float($0) * (6 / 65535) }
        }
    }

    /// The shader's rounding, in float32: clamp to [0, 6], scale by 65535/6 = 10922.5 (exact), add ½, truncate.
    static func quantize(_ v: Float) -> UInt16 { v.isNaN ? 0 : UInt16(min(max(v, 0), 6) * 10922.5 + 0.5) }

    /// GLSL macros for a tensor called `role` ("IN", "OUT"): `<role>_T` (the buffer element type),
    /// `LOAD_<role>(v)` (element → float) and `STORE_<role>(v)` (float → element).
    func defines(role: String) -> [String: String] {
        let (type, load, store): (String, String, String)
        switch self {
        case .float32: (type, load, store) = ("float", "(v)", "(v)")
        case .float16: (type, load, store) = ("float16_t", "float(v)", "float16_t(v)")
        case .unorm16: (type, load, store) = ("uint16_t", "(float(uint(v)) * (6.0 / 65535.0))",
                                              "uint16_t(uint(clamp((v), 0.0, 6.0) * 10922.5 + 0.5))")
        }
        return ["\(role)_T": type, "LOAD_\(role)(v)": load, "STORE_\(role)(v)": store]
    }
}

/// Storage precision of the Vulkan engine's activations; weights, biases and arithmetic are float32 either
/// way. `fp16` stores the wide tensors in 16 bits: see `boundedFormat` and docs/VULKAN.md for why the
/// ReLU6 outputs use 16-bit fixed point rather than float16.
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

    /// Bytes per element of the network input.
    public var elementSize: Int { inputFormat.size }

    /// Defines of the preprocessing shader selecting the network input's type.
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
                  pushWords: Int, specialization: [UInt32] = []) throws -> ComputePipeline {
    if formats.values.contains(where: { $0 != .float32 }) { try requireStorage16(context) }
    let label = formats.keys.sorted().map { "\($0.lowercased()) \(formats[$0]!)" }.joined(separator: ", ")
    let defines = formats.reduce(into: [String: String]()) { $0.merge($1.value.defines(role: $1.key)) { a, _ in a } }
    return try makePipeline(context, name, label: label, defines: defines, bindings: bindings,
                            pushWords: pushWords, specialization: specialization)
}

private func makePipeline(_ context: VulkanContext, _ name: String, label: String, defines: [String: String],
                          bindings: Int, pushWords: Int, specialization: [UInt32]) throws -> ComputePipeline {
    // ShaderSource's error names the file and every folder it looked in.
    return try ComputePipeline(context: context, name: "\(name) (\(label))", source: ShaderSource.named(name), defines: defines,
                               bindingCount: bindings, pushConstantBytes: pushWords * 4, specialization: specialization)
}

/// Work-group width for kernels with one invocation per channel: the smallest of 8, 16, 32, 64 that
/// covers `channels` (64 beyond), so narrow layers do not leave most of a work group idle.
func channelGroup(_ channels: Int) -> Int {
    [8, 16, 32].first { channels <= $0 } ?? 64
}

/// One shader's pipelines, built on first use for each set of storage formats and specialization constants.
final class SpecializedPipelines: @unchecked Sendable {
    private struct Key: Hashable {
        let formats: [String: StorageFormat]
        let specialization: [UInt32]
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

    func get(_ specialization: [UInt32], formats: [String: StorageFormat]) throws -> ComputePipeline {
        try lock.withLock {
            let key = Key(formats: formats, specialization: specialization)
            if let pipeline = built[key] { return pipeline }
            let pipeline = try makePipeline(context, shader, formats: formats, bindings: bindings,
                                            pushWords: pushWords, specialization: specialization)
            built[key] = pipeline
            return pipeline
        }
    }
}

/// Throws unless `layer`'s outputs fit `format`: 16-bit fixed point holds ReLU6 outputs only.
func checkOutput(_ layer: ConvLayer, _ format: StorageFormat) throws {
    if format == .unorm16 && !layer.relu6 {
        throw VulkanError(call: "StorageFormat", message: "\(layer.name) has no ReLU6: its output cannot be stored as \(format) (values over [0, 6] only)")
    }
}
