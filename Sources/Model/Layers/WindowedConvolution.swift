/// A K×K windowed convolution, the stem's dense one or the depthwise one: both faces (plain reference,
/// fast CPU) are written once here and differ only in what one window tap adds to an output pixel's sums.
public protocol WindowedConvolution {
    /// The layer kind the faces accept.
    static var layerKind: ConvLayer.Kind { get }
}

extension WindowedConvolution {
    /// The reference faces' padded-window walk: for every output pixel the sums start at the bias,
    /// `tap(input, inputBase, tapIndex, weights, sums)` adds each window tap that lies inside the image
    /// (zero padding per `layer.padBefore`; `inputBase` is the tap pixel's first channel, `tapIndex` is
    /// `ky * k + kx`), then ReLU6 if `layer.relu6`.
    @inline(__always)
    static func referenceWalk(
        _ x: Tensor, _ layer: ConvLayer,
        tap: (UnsafeBufferPointer<Float>, Int, Int, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> Tensor {
        precondition(layer.kind == layerKind && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) input channels, got \(x.channels)")
        let k = layer.kernelSize, stride = layer.stride, cin = layer.inChannels, cout = layer.outChannels
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
                                        tap(input, ((n * x.height + iy) * x.width + ix) * cin, ky * k + kx, w, acc)
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
