import VulkanRuntime

/// The arithmetic a network kernel computes in: the shader's `ARITH_T` / `ARITH_VEC4` (operands and
/// products) and `ACC_T` / `ACC_VEC4` (sums, bias, residual, ReLU6), which default to float32 when the
/// launcher defines nothing. Storage is separate (`StorageFormat`): a float16 kernel may read unorm16 or
/// float32 tensors, converting each value to its `ARITH_T` as it loads it.
public enum KernelArithmetic: String, Sendable, CaseIterable, CustomStringConvertible {
    /// float32 products and sums.
    case float32
    /// float16 operands and products, float32 sums: each product is rounded to float16, the sum is not.
    case float16Products
    /// float16 operands, products and sums.
    case float16

    public var description: String { rawValue }

    /// Whether the kernel needs the device's shaderFloat16.
    public var needsFloat16: Bool { self != .float32 }

    /// The shader defines; none for float32 (the shaders' own defaults).
    var defines: [String: String] {
        switch self {
        case .float32: return [:]
        case .float16Products:
            return ["ARITH_FLOAT16": "1", "ARITH_T": "float16_t", "ARITH_VEC4": "f16vec4", "ACC_T": "float", "ACC_VEC4": "vec4"]
        case .float16:
            return ["ARITH_FLOAT16": "1", "ARITH_T": "float16_t", "ARITH_VEC4": "f16vec4", "ACC_T": "float16_t", "ACC_VEC4": "f16vec4"]
        }
    }

    /// Throws unless the context can run this arithmetic.
    func check(_ context: VulkanContext) throws {
        if needsFloat16 && !context.float16ArithmeticEnabled {
            throw VulkanError(call: "KernelArithmetic", message: "\(self) arithmetic needs shaderFloat16, which \(context.info.name) lacks")
        }
    }
}
