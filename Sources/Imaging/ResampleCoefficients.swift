/// Pillow's 8-bit fixed-point bicubic coefficients for one axis (src/libImaging/Resample.c
/// `precompute_coeffs` + `normalize_coeffs_8bpc`, filter BICUBIC, no box).
public struct ResampleCoefficients: Sendable {
    /// Pillow's `PRECISION_BITS` for 8-bit images.
    public static let precisionBits = 22

    public let inSize: Int
    public let outSize: Int
    /// Maximum number of taps over all outputs; the row stride of `weights`.
    public let taps: Int
    /// Per output index: first input index used.
    public let starts: [Int32]
    /// Per output index: number of input indices used (at most `taps`).
    public let counts: [Int32]
    /// `outSize × taps` fixed-point weights (2^22 = 1.0), zero past each output's count.
    public let weights: [Int32]

    /// Computes the coefficients for resampling `inSize` samples to `outSize` (both at least 1).
    public init(inSize: Int, outSize: Int) {
        precondition(inSize > 0 && outSize > 0, "ResampleCoefficients: sizes \(inSize) -> \(outSize)")
        self.inSize = inSize
        self.outSize = outSize
        // Pillow computes the box width in float (in1 - in0) and the rest in double.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterscale = max(scale, 1.0)
        let support = 2.0 * filterscale
        // Pillow multiplies by the reciprocal rather than dividing; keep that for identical doubles.
        let inverseScale = 1.0 / filterscale

        var starts = [Int32](repeating: 0, count: outSize)
        var counts = [Int32](repeating: 0, count: outSize)
        var real = [[Double]]()
        real.reserveCapacity(outSize)
        var taps = 0
        for out in 0..<outSize {
            let center = (Double(out) + 0.5) * scale
            let first = max(0, Int(center - support + 0.5))
            let last = min(inSize, Int(center + support + 0.5))
            let count = max(0, last - first)
            var row = [Double](repeating: 0, count: count)
            var sum = 0.0
            for k in 0..<count {
                let w = Self.bicubic((Double(k + first) - center + 0.5) * inverseScale)
                row[k] = w
                sum += w
            }
            if sum != 0 {
                for k in 0..<count { row[k] /= sum }
            }
            starts[out] = Int32(first)
            counts[out] = Int32(count)
            taps = max(taps, count)
            real.append(row)
        }

        let one = Double(1 << Self.precisionBits)
        var weights = [Int32](repeating: 0, count: outSize * taps)
        for out in 0..<outSize {
            for (k, w) in real[out].enumerated() {
                // Round half away from zero, then truncate, as Pillow's C cast does.
                weights[out * taps + k] = Int32(w < 0 ? -0.5 + w * one : 0.5 + w * one)
            }
        }
        self.taps = taps
        self.starts = starts
        self.counts = counts
        self.weights = weights
    }

    /// Keys cubic convolution kernel with a = -0.5, written in Pillow's order of operations.
    @inline(__always)
    static func bicubic(_ value: Double) -> Double {
        let a = -0.5
        let x = abs(value)
        if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
        if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0.0
    }

    /// First and one-past-last input index touched by any output.
    var inputRange: Range<Int> {
        let first = Int(starts[0])
        let last = Int(starts[outSize - 1] + counts[outSize - 1])
        return first..<max(first, last)
    }
}
