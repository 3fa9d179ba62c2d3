import CKernels

extension DepthwiseConv {
    /// Fast CPU face: the reference's result (up to float rounding) from the SIMD kernel, threaded over rows.
    public static func cpu(_ x: Tensor, _ layer: ConvLayer, pool: ThreadPool? = nil) -> Tensor {
        var out = Tensor(batch: x.batch, height: layer.outputSize(inputSize: x.height),
                         width: layer.outputSize(inputSize: x.width), channels: x.channels, repeating: .nan)
        cpu(x, layer, into: &out, pool: pool)
        return out
    }

    /// Fast CPU face writing into `out`, which must already have the output's shape.
    public static func cpu(_ x: Tensor, _ layer: ConvLayer, into out: inout Tensor, pool: ThreadPool? = nil) {
        precondition(layer.kind == .depthwise && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) channels, got \(x.channels)")
        precondition(out.batch == x.batch && out.channels == x.channels
                     && out.height == layer.outputSize(inputSize: x.height)
                     && out.width == layer.outputSize(inputSize: x.width),
                     "\(layer.name): output tensor has the wrong shape")
        let prepared = FastCPUEngineLayer(layer)
        let (h, w) = (x.height, x.width)
        ThreadPool.rowParallel(x, into: &out, pool: pool) { input, output, rows in
            launchCPU(prepared, input: input, height: h, width: w, output: output, rows: rows)
        }
    }

    /// Runs the kernel on one image for output rows `rows`.
    static func launchCPU(_ layer: FastCPUEngineLayer, input: UnsafePointer<Float>, height: Int, width: Int,
                          output: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        ck_depthwise(input, Int32(height), Int32(width), Int32(layer.inChannels), Int32(layer.kernelSize),
                     Int32(layer.stride), Int32(layer.padBefore(inputSize: height)),
                     Int32(layer.padBefore(inputSize: width)), layer.weights,
                     layer.bias, layer.relu6 ? 1 : 0, output,
                     Int32(layer.outputSize(inputSize: height)), Int32(layer.outputSize(inputSize: width)),
                     Int32(rows.lowerBound), Int32(rows.upperBound))
    }
}
