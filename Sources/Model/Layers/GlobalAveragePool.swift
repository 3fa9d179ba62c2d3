/// Mean over all pixels of each channel: the MobileNetV2 feature vector.
public enum GlobalAveragePool {
    /// Plain reference: N×C row-major, summed in double.
    public static func reference(_ x: Tensor) -> [Float] {
        let pixels = x.height * x.width, c = x.channels
        var result = [Float](repeating: 0, count: x.batch * c)
        var sums = [Double](repeating: 0, count: c)
        for n in 0..<x.batch {
            for ch in 0..<c { sums[ch] = 0 }
            for p in 0..<pixels {
                let base = (n * pixels + p) * c
                for ch in 0..<c { sums[ch] += Double(x.data[base + ch]) }
            }
            for ch in 0..<c { result[n * c + ch] = pixels == 0 ? 0 : Float(sums[ch] / Double(pixels)) }
        }
        return result
    }
}
