import CKernels

extension StemConv {
    /// Fast CPU face: the reference's result (up to float rounding) from the SIMD kernel, threaded over rows.
    public static func cpu(_ x: Tensor, _ layer: ConvLayer, pool: ThreadPool? = nil) -> Tensor {
        var out = Tensor(batch: x.batch, height: layer.outputSize(inputSize: x.height),
                         width: layer.outputSize(inputSize: x.width), channels: layer.outChannels,
                         repeating: .nan)
        cpu(x, layer, into: &out, pool: pool)
        return out
    }

    /// Fast CPU face writing into `out`, which must already have the output's shape.
    public static func cpu(_ x: Tensor, _ layer: ConvLayer, into out: inout Tensor, pool: ThreadPool? = nil) {
        precondition(layer.kind == .full && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) input channels, got \(x.channels)")
        precondition(out.batch == x.batch && out.channels == layer.outChannels
                     && out.height == layer.outputSize(inputSize: x.height)
                     && out.width == layer.outputSize(inputSize: x.width),
                     "\(layer.name): output tensor has the wrong shape")
        let prepared = FastCPUEngineLayer(layer)
        let chunks = ThreadPool.Chunks(rows: out.height, pieces: (pool?.threads ?? 1) * 4)
        let inStride = x.elementsPerImage, outStride = out.elementsPerImage
        let (h, w) = (x.height, x.width)
        x.data.withUnsafeBufferPointer { input in
            out.data.withUnsafeMutableBufferPointer { output in
                guard let i = input.baseAddress, let o = output.baseAddress else { return }
                (pool ?? ThreadPool(threads: 1)).run(tasks: x.batch * chunks.count) { task, _ in
                    let n = task / chunks.count
                    launchCPU(prepared, input: i + n * inStride, height: h, width: w,
                              output: o + n * outStride, rows: chunks[task % chunks.count])
                }
            }
        }
    }

    /// Runs the kernel on one image for output rows `rows`.
    static func launchCPU(_ layer: FastCPUEngineLayer, input: UnsafePointer<Float>, height: Int, width: Int,
                          output: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        ck_conv(input, Int32(height), Int32(width), Int32(layer.inChannels), Int32(layer.kernelSize),
                Int32(layer.stride), Int32(layer.padBefore(inputSize: height)),
                Int32(layer.padBefore(inputSize: width)), layer.weights, layer.bias,
                Int32(layer.outChannels), layer.relu6 ? 1 : 0, output,
                Int32(layer.outputSize(inputSize: height)), Int32(layer.outputSize(inputSize: width)),
                Int32(rows.lowerBound), Int32(rows.upperBound))
    }
}
