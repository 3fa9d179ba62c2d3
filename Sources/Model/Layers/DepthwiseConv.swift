/// A depthwise convolution: each channel is filtered by its own k×k kernel.
public enum DepthwiseConv {
    /// Plain reference: zero padding per `layer.padBefore`, bias, then ReLU6 if `layer.relu6`.
    public static func reference(_ x: Tensor, _ layer: ConvLayer) -> Tensor {
        precondition(layer.kind == .depthwise && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) channels, got \(x.channels)")
        let k = layer.kernelSize, stride = layer.stride, c = x.channels
        let outH = layer.outputSize(inputSize: x.height), outW = layer.outputSize(inputSize: x.width)
        let padTop = layer.padBefore(inputSize: x.height), padLeft = layer.padBefore(inputSize: x.width)
        // NaN until written, so a skipped element can never pass for a correct zero.
        var out = Tensor(batch: x.batch, height: outH, width: outW, channels: c, repeating: .nan)
        let acc = UnsafeMutableBufferPointer<Float>.allocate(capacity: c)
        defer { acc.deallocate() }
        x.data.withUnsafeBufferPointer { input in
            layer.weights.withUnsafeBufferPointer { w in
                out.data.withUnsafeMutableBufferPointer { o in
                    for n in 0..<x.batch {
                        for oy in 0..<outH {
                            for ox in 0..<outW {
                                for ch in 0..<c { acc[ch] = layer.bias[ch] }
                                for ky in 0..<k {
                                    let iy = oy * stride - padTop + ky
                                    guard iy >= 0 && iy < x.height else { continue }
                                    for kx in 0..<k {
                                        let ix = ox * stride - padLeft + kx
                                        guard ix >= 0 && ix < x.width else { continue }
                                        let inBase = ((n * x.height + iy) * x.width + ix) * c
                                        let wBase = (ky * k + kx) * c
                                        for ch in 0..<c { acc[ch] += input[inBase + ch] * w[wBase + ch] }
                                    }
                                }
                                let outBase = ((n * outH + oy) * outW + ox) * c
                                for ch in 0..<c { o[outBase + ch] = layer.relu6 ? relu6(acc[ch]) : acc[ch] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
