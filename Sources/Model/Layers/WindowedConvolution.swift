/// A K×K windowed convolution, the stem's dense one or the depthwise one: both faces (plain reference,
/// fast CPU) are written once here and differ only in what one window tap adds to an output pixel's sums.
public protocol WindowedConvolution {
    /// The layer kind the faces accept.
    static var layerKind: ConvLayer.Kind { get }
}

extension ConvLayer {
    /// The padded-window walk of this layer over a `batch` × `height` × `width` input (zero padding per
    /// `padBefore`): per output pixel in order `start(outBase)`, then `tap(inBase, tapIndex)` for each window
    /// tap inside the image, then `finish(outBase)`; `inBase` is the tap pixel's first input channel,
    /// `tapIndex` is `ky * k + kx`, `outBase` the output pixel's first channel. The tap is the caller's, so
    /// the reference faces and the tests' arithmetic emulation (which rounds each product) walk alike.
    @inline(__always)
    public func walkWindows(batch: Int, height: Int, width: Int,
                            start: (Int) -> Void, tap: (Int, Int) -> Void, finish: (Int) -> Void) {
        let k = kernelSize, stride = self.stride, cin = inChannels, cout = outChannels
        let outH = outputSize(inputSize: height), outW = outputSize(inputSize: width)
        let padTop = padBefore(inputSize: height), padLeft = padBefore(inputSize: width)
        for n in 0..<batch {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    let outBase = ((n * outH + oy) * outW + ox) * cout
                    start(outBase)
                    for ky in 0..<k {
                        let iy = oy * stride - padTop + ky
                        guard iy >= 0 && iy < height else { continue }
                        for kx in 0..<k {
                            let ix = ox * stride - padLeft + kx
                            guard ix >= 0 && ix < width else { continue }
                            tap(((n * height + iy) * width + ix) * cin, ky * k + kx)
                        }
                    }
                    finish(outBase)
                }
            }
        }
    }
}

extension WindowedConvolution {
    /// The reference faces' walk (`ConvLayer.walkWindows`): for every output pixel the sums start at the
    /// bias, `tap(input, inputBase, tapIndex, weights, sums)` adds each window tap that lies inside the
    /// image, then ReLU6 if `layer.relu6`.
    @inline(__always)
    static func referenceWalk(
        _ x: Tensor, _ layer: ConvLayer,
        tap: (UnsafeBufferPointer<Float>, Int, Int, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> Tensor {
        precondition(layer.kind == layerKind && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) input channels, got \(x.channels)")
        let cout = layer.outChannels
        // NaN until written, so a skipped element can never pass for a correct zero.
        var out = Tensor(batch: x.batch, height: layer.outputSize(inputSize: x.height),
                         width: layer.outputSize(inputSize: x.width), channels: cout, repeating: .nan)
        let acc = UnsafeMutableBufferPointer<Float>.allocate(capacity: cout)
        defer { acc.deallocate() }
        x.data.withUnsafeBufferPointer { input in
            layer.weights.withUnsafeBufferPointer { w in
                out.data.withUnsafeMutableBufferPointer { o in
                    layer.walkWindows(batch: x.batch, height: x.height, width: x.width,
                                      start: { _ in for co in 0..<cout { acc[co] = layer.bias[co] } },
                                      tap: { inBase, tapIndex in tap(input, inBase, tapIndex, w, acc) },
                                      finish: { outBase in
                                          for co in 0..<cout { o[outBase + co] = layer.relu6 ? relu6(acc[co]) : acc[co] }
                                      })
                }
            }
        }
        return out
    }
}
