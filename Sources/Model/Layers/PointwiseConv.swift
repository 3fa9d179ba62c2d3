/// A 1×1 convolution: a matrix product over channels at every pixel.
public enum PointwiseConv {
    /// Plain reference: bias, then `residual` added (same shape as the output), then ReLU6 if `layer.relu6`.
    public static func reference(_ x: Tensor, _ layer: ConvLayer, residual: Tensor?) -> Tensor {
        precondition(layer.kind == .pointwise && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) input channels, got \(x.channels)")
        let cin = layer.inChannels, cout = layer.outChannels
        let pixels = x.batch * x.height * x.width
        if let residual {
            precondition(residual.data.count == pixels * cout, "\(layer.name): residual shape differs from output")
        }
        // NaN until written, so a skipped element can never pass for a correct zero.
        var out = Tensor(batch: x.batch, height: x.height, width: x.width, channels: cout, repeating: .nan)
        let acc = UnsafeMutableBufferPointer<Float>.allocate(capacity: cout)
        defer { acc.deallocate() }
        x.data.withUnsafeBufferPointer { input in
            layer.weights.withUnsafeBufferPointer { w in
                out.data.withUnsafeMutableBufferPointer { o in
                    for p in 0..<pixels {
                        for co in 0..<cout { acc[co] = layer.bias[co] }
                        for ci in 0..<cin {
                            let v = input[p * cin + ci]
                            let wBase = ci * cout
                            for co in 0..<cout { acc[co] += v * w[wBase + co] }
                        }
                        if let residual {
                            for co in 0..<cout { acc[co] += residual.data[p * cout + co] }
                        }
                        for co in 0..<cout { o[p * cout + co] = layer.relu6 ? relu6(acc[co]) : acc[co] }
                    }
                }
            }
        }
        return out
    }
}
