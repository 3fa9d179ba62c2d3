import CKernels

extension StemConv {
    /// Fast CPU face: the reference's result (up to float rounding) from the SIMD kernel, threaded over rows.
    public static func cpu(_ x: Tensor, _ layer: ConvLayer, pool: ThreadPool? = nil,
                           kernels: FastCPUEngineKernels = .best) -> Tensor {
        var out = FastCPUEngineLayer.poisonedOutput(x, layer)
        cpu(x, layer, into: &out, pool: pool, kernels: kernels)
        return out
    }

    /// Fast CPU face writing into `out`, which must already have the output's shape.
    public static func cpu(_ x: Tensor, _ layer: ConvLayer, into out: inout Tensor, pool: ThreadPool? = nil,
                           kernels: FastCPUEngineKernels = .best) {
        FastCPUEngineLayer.runSpatialFace(x, layer, kind: .full, into: &out, pool: pool, kernels: kernels, launch: launchCPU)
    }

    /// Runs the kernel on one image for output rows `rows`.
    static func launchCPU(_ layer: FastCPUEngineLayer, input: UnsafePointer<Float>, height: Int, width: Int,
                          output: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        ck_conv(layer.kernels.cValue, input, Int32(height), Int32(width), Int32(layer.inChannels), Int32(layer.kernelSize),
                Int32(layer.stride), Int32(layer.padBefore(inputSize: height)),
                Int32(layer.padBefore(inputSize: width)), layer.weights, layer.bias,
                Int32(layer.outChannels), layer.relu6 ? 1 : 0, output,
                Int32(layer.outputSize(inputSize: height)), Int32(layer.outputSize(inputSize: width)),
                Int32(rows.lowerBound), Int32(rows.upperBound))
    }
}
