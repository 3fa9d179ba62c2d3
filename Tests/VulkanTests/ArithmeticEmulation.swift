import Model

/// The reference layers computed as a kernel with 16-bit arithmetic computes them, for `PrecisionStudy`:
/// which roundings each variant makes, done in float32 on the host (a product of two float16 values is
/// exact in float32, so rounding it once gives the device's float16 product).
enum EmulatedArithmetic: String, CaseIterable {
    /// float32 operands, products and sums (the plain reference).
    case float32
    /// Weights rounded to float16, the rest float32 (what storing the weights as float16 costs alone).
    case float16Weights
    /// float16 operands and products, float32 sums (`KernelArithmetic.float16Products`).
    case float16Products
    /// float16 operands, products and sums, bias and ReLU6 (`KernelArithmetic.float16`).
    case float16
    /// Each activation split into float16 hi + lo (x = hi + lo to 22 bits), two float16 products with a
    /// float16 weight, float32 sums: the activation's rounding removed at twice the multiplies.
    case hiLo
    /// Weights as float16 after dividing each output channel by a power of two (its largest |weight| to
    /// at most 1; the scale applied to the float32 sum before the bias), the rest float32: float16's 11
    /// significant bits without its exponent range, so no weight is subnormal.
    case float16ScaledWeights
    /// Scaled float16 weights as above, float16 activations and products, float32 sums.
    case float16ScaledProducts

    var scaled: Bool { self == .float16ScaledWeights || self == .float16ScaledProducts }

    init(_ arithmetic: KernelArithmetic) {
        switch arithmetic {
        case .float32: self = .float32
        case .float16Products: self = .float16Products
        case .float16: self = .float16
        }
    }

    @inline(__always) static func h(_ v: Float) -> Float { Float(Float16(v)) }

    @inline(__always) func weight(_ w: Float) -> Float { self == .float32 ? w : Self.h(w) }

    /// One multiply-add as the kernel does it: `acc + x·w` (w already through `weight`).
    @inline(__always) func fma(_ acc: Float, _ x: Float, _ w: Float) -> Float {
        switch self {
        case .float32, .float16Weights, .float16ScaledWeights: return acc + x * w
        case .float16Products, .float16ScaledProducts: return acc + Self.h(Self.h(x) * w)
        case .float16: return Self.h(acc + Self.h(Self.h(x) * w))
        case .hiLo:
            let hi = Self.h(x), lo = Self.h(x - hi)
            return acc + Self.h(hi * w) + Self.h(lo * w)
        }
    }

    /// The bias, residual and ReLU6 epilogue in the kernel's sum type.
    @inline(__always) func finish(_ acc: Float, residual: Float?, relu6: Bool) -> Float {
        let sum16 = self == .float16
        var v = sum16 ? Self.h(acc) : acc
        if let residual { v = sum16 ? Self.h(v + Self.h(residual)) : v + residual }
        return relu6 ? min(max(v, 0), 6) : v
    }

    /// `layer` (any kind) on `x`, with `residual` added for a projection: the reference's window walk
    /// (`ConvLayer.walkWindows`), each tap's multiply-adds done by `fma`.
    func conv(_ x: Tensor, _ layer: ConvLayer, residual: Tensor? = nil) -> Tensor {
        let cin = layer.inChannels, cout = layer.outChannels
        var w = layer.weights.map(weight)
        let bias = self == .float16 ? layer.bias.map(Self.h) : layer.bias
        // Output channel of weight i: the last index in every layout ([k][k][c] depthwise, [..][cout] else).
        var scale = [Float](repeating: 1, count: cout)
        if scaled {
            var largest = [Float](repeating: 0, count: cout)
            for (i, v) in layer.weights.enumerated() { largest[i % cout] = max(largest[i % cout], abs(v)) }
            scale = largest.map { $0 > 0 ? Float(sign: .plus, exponent: $0.exponent + 1, significand: 1) : 1 }
            w = layer.weights.enumerated().map { Self.h($0.element / scale[$0.offset % cout]) }
        }
        var out = Tensor(batch: x.batch, height: layer.outputSize(inputSize: x.height),
                         width: layer.outputSize(inputSize: x.width), channels: cout, repeating: .nan)
        var acc = [Float](repeating: 0, count: cout)
        layer.walkWindows(batch: x.batch, height: x.height, width: x.width, start: { _ in
            for co in 0..<cout { acc[co] = scaled ? 0 : bias[co] }
        }, tap: { inBase, tap in
            switch layer.kind {
            case .depthwise:
                let wBase = tap * cin
                for c in 0..<cin { acc[c] = fma(acc[c], x.data[inBase + c], w[wBase + c]) }
            case .full, .pointwise:
                let wBase = tap * cin * cout
                for ci in 0..<cin {
                    let v = x.data[inBase + ci]
                    for co in 0..<cout { acc[co] = fma(acc[co], v, w[wBase + ci * cout + co]) }
                }
            }
        }, finish: { outBase in
            for co in 0..<cout {
                if scaled { acc[co] = acc[co] * scale[co] + bias[co] }
                out.data[outBase + co] = finish(acc[co], residual: residual?.data[outBase + co], relu6: layer.relu6)
            }
        })
        return out
    }
}
