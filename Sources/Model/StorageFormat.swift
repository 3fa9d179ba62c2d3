import Foundation
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
    /// `LOAD_<role>(v)` (element → float) and `STORE_<role>(v)` (float → element), and the same for four
    /// channels at once: `<role>_VEC4_T`, `LOAD_<role>_VEC4(v)` (→ vec4), `STORE_<role>_VEC4(v)` (vec4 →).
    func defines(role: String) -> [String: String] {
        let (type, load, store): (String, String, String)
        let (type4, load4, store4): (String, String, String)
        switch self {
        case .float32:
            (type, load, store) = ("float", "(v)", "(v)")
            (type4, load4, store4) = ("vec4", "(v)", "(v)")
        case .float16:
            (type, load, store) = ("float16_t", "float(v)", "float16_t(v)")
            (type4, load4, store4) = ("f16vec4", "vec4(v)", "f16vec4(v)")
        case .unorm16:
            (type, load, store) = ("uint16_t", "(float(uint(v)) * (6.0 / 65535.0))",
                                   "uint16_t(uint(clamp((v), 0.0, 6.0) * 10922.5 + 0.5))")
            (type4, load4, store4) = ("u16vec4", "(vec4(uvec4(v)) * (6.0 / 65535.0))",
                                      "u16vec4(uvec4(clamp((v), 0.0, 6.0) * 10922.5 + 0.5))")
        }
        return ["\(role)_T": type, "LOAD_\(role)(v)": load, "STORE_\(role)(v)": store,
                "\(role)_VEC4_T": type4, "LOAD_\(role)_VEC4(v)": load4, "STORE_\(role)_VEC4(v)": store4]
    }
}

/// Throws unless `layer`'s outputs fit `format`: 16-bit fixed point holds ReLU6 outputs only.
func checkOutput(_ layer: ConvLayer, _ format: StorageFormat) throws {
    if format == .unorm16 && !layer.relu6 {
        throw VulkanError(call: "StorageFormat", message: "\(layer.name) has no ReLU6: its output cannot be stored as \(format) (values over [0, 6] only)")
    }
}
