/// The full (dense) convolution of the stem, Conv1: every output channel sees every input channel.
public enum StemConv {
    /// Plain reference: zero padding per `layer.padBefore`, bias, then ReLU6 if `layer.relu6`.
    public static func reference(_ x: Tensor, _ layer: ConvLayer) -> Tensor {
        precondition(layer.kind == .full && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) input channels, got \(x.channels)")
        let k = layer.kernelSize, stride = layer.stride
        let cin = layer.inChannels, cout = layer.outChannels
        let outH = layer.outputSize(inputSize: x.height), outW = layer.outputSize(inputSize: x.width)
        let padTop = layer.padBefore(inputSize: x.height), padLeft = layer.padBefore(inputSize: x.width)
        // NaN until written, so a skipped element can never pass for a correct zero.
        var out = Tensor(batch: x.batch, height: outH, width: outW, channels: cout, repeating: .nan)
        let acc = UnsafeMutableBufferPointer<Float>.allocate(capacity: cout)
        defer { acc.deallocate() }
        x.data.withUnsafeBufferPointer { input in
            layer.weights.withUnsafeBufferPointer { w in
                out.data.withUnsafeMutableBufferPointer { o in
                    for n in 0..<x.batch {
                        for oy in 0..<outH {
                            for ox in 0..<outW {
                                for co in 0..<cout { acc[co] = layer.bias[co] }
                                for ky in 0..<k {
                                    let iy = oy * stride - padTop + ky
                                    guard iy >= 0 && iy < x.height else { continue }
                                    for kx in 0..<k {
                                        let ix = ox * stride - padLeft + kx
                                        guard ix >= 0 && ix < x.width else { continue }
                                        let inBase = ((n * x.height + iy) * x.width + ix) * cin
                                        for ci in 0..<cin {
                                            let v = input[inBase + ci]
                                            let wBase = ((ky * k + kx) * cin + ci) * cout
                                            for co in 0..<cout { acc[co] += v * w[wBase + co] }
                                        }
                                    }
                                }
                                let outBase = ((n * outH + oy) * outW + ox) * cout
                                for co in 0..<cout { o[outBase + co] = layer.relu6 ? relu6(acc[co]) : acc[co] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// min(max(v, 0), 6), as Keras ReLU(6.0).
@inline(__always) func relu6(_ v: Float) -> Float { min(max(v, 0), 6) }
