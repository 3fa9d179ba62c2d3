import VulkanRuntime

extension CoopMatGEMM {
    /// A 1×1 convolution's float32 weights [K][N] split once, at upload, into the float16 operand pair the
    /// cooperative-matrix kernel multiplies: hi = f16(w) and lo = f16((w − hi) · 2¹¹), both rounded to
    /// nearest even, each laid out [kPadded][nPadded] (hi first, then lo) with zeros in the padding, so a
    /// subgroup loads its B matrices straight from the buffer (`coopmat_gemm.comp`).
    public struct PackedWeights: Sendable {
        /// The convolution's input (K) and output (N) channels.
        public let k, n: Int
        /// K rounded up to a multiple of the shape's k; N to a multiple of max(shape's n, 8), so every
        /// matrix row starts 16-byte aligned, as cooperative-matrix loads from buffers want.
        public let kPadded, nPadded: Int
        /// hi [kPadded][nPadded] then lo [kPadded][nPadded].
        public let halves: [Float16]
        /// lo carries (w − hi) · loScale.
        public static let loScale: Float = 2048

        /// The padded sizes for a `k`×`n` weight matrix multiplied in `shape`.
        public static func padded(k: Int, n: Int, shape: CooperativeMatrixShape) -> (k: Int, n: Int) {
            let nAlign = max(shape.n, 8)
            return ((k + shape.k - 1) / shape.k * shape.k, (n + nAlign - 1) / nAlign * nAlign)
        }

        /// Splits `layer`'s weights ([inChannels][outChannels], Keras' 1×1 order) for `shape`.
        public init(_ layer: ConvLayer, shape: CooperativeMatrixShape) {
            precondition(layer.kind == .pointwise, "\(layer.name): packed weights are for 1×1 convolutions")
            k = layer.inChannels
            n = layer.outChannels
            (kPadded, nPadded) = Self.padded(k: k, n: n, shape: shape)
            var halves = [Float16](repeating: 0, count: 2 * kPadded * nPadded)
            let lo = kPadded * nPadded
            for row in 0..<k {
                for col in 0..<n {
                    let (h, l) = Self.split(layer.weights[row * n + col])
                    halves[row * nPadded + col] = h
                    halves[lo + row * nPadded + col] = l
                }
            }
            self.halves = halves
        }

        /// (hi, lo) of one weight; hi + lo / loScale is within about 2⁻²² of it (relative, for normal hi).
        public static func split(_ w: Float) -> (hi: Float16, lo: Float16) {
            let hi = Float16(w)
            return (hi, Float16((w - Float(hi)) * loScale))
        }

        /// The weight at [row][col] as the kernel reconstructs it: hi + lo / loScale (0 in the padding).
        public func reconstructed(_ row: Int, _ col: Int) -> Float {
            let i = row * nPadded + col
            return Float(halves[i]) + Float(halves[kPadded * nPadded + i]) / Self.loScale
        }

        /// The buffer's bytes (float16 little-endian, as the kernel's `float16_t weights[]` reads them).
        public var bytes: [UInt8] {
            halves.withUnsafeBytes { Array($0) }
        }
    }
}
