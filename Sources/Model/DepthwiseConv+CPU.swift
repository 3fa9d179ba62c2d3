import CKernels

extension DepthwiseConv {
    /// Runs the kernel on one image for output rows `rows`.
    static func launchCPU(_ layer: FastCPUEngineLayer, input: UnsafePointer<Float>, height: Int, width: Int,
                          output: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        ck_depthwise(layer.kernels.cValue, input, Int32(height), Int32(width), Int32(layer.inChannels), Int32(layer.kernelSize),
                     Int32(layer.stride), Int32(layer.padBefore(inputSize: height)),
                     Int32(layer.padBefore(inputSize: width)), layer.weights,
                     layer.bias, layer.relu6 ? 1 : 0, output,
                     Int32(layer.outputSize(inputSize: height)), Int32(layer.outputSize(inputSize: width)),
                     Int32(rows.lowerBound), Int32(rows.upperBound))
    }
}
