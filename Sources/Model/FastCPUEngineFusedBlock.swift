import CKernels

/// A block's prepared layers and sizes for the fused kernel (`ck_block`).
final class FastCPUEngineFusedBlock: @unchecked Sendable {
    let expand: FastCPUEngineLayer?
    let depthwise: FastCPUEngineLayer
    let project: FastCPUEngineLayer
    let residual: Bool
    let inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int
    var inChannels: Int { expand?.inChannels ?? depthwise.inChannels }
    var outChannels: Int { project.outChannels }
    /// Floats of scratch one `run` needs.
    let scratchCount: Int

    convenience init(_ block: InvertedResidualBlock, inputHeight: Int, inputWidth: Int, kernels: FastCPUEngineKernels) {
        self.init(expand: block.expand.map { FastCPUEngineLayer($0, kernels: kernels) },
                  depthwise: FastCPUEngineLayer(block.depthwise, kernels: kernels),
                  project: FastCPUEngineLayer(block.project, kernels: kernels), residual: block.residual,
                  inputHeight: inputHeight, inputWidth: inputWidth)
    }

    init(expand: FastCPUEngineLayer?, depthwise: FastCPUEngineLayer, project: FastCPUEngineLayer, residual: Bool,
         inputHeight: Int, inputWidth: Int) {
        self.expand = expand
        self.depthwise = depthwise
        self.project = project
        self.residual = residual
        inHeight = inputHeight
        inWidth = inputWidth
        outHeight = depthwise.outputSize(inputSize: inputHeight)
        outWidth = depthwise.outputSize(inputSize: inputWidth)
        scratchCount = Int(ck_block_scratch_count(Int32(inputHeight), Int32(inputWidth), Int32(depthwise.inChannels), Int32(outWidth),
                                                  Int32(outHeight), Int32(depthwise.kernelSize)))
    }

    /// One image through the block; `output` must not overlap `input`.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let flags = ((expand?.relu6 ?? false) ? CK_RELU6_EXPAND : 0) | (depthwise.relu6 ? CK_RELU6_DEPTHWISE : 0)
            | (project.relu6 ? CK_RELU6_PROJECT : 0)
        ck_block(depthwise.kernels.cValue, input, Int32(inHeight), Int32(inWidth), Int32(inChannels), expand?.weights, expand?.bias,
                 Int32(depthwise.inChannels), depthwise.weights, depthwise.bias, Int32(depthwise.kernelSize),
                 Int32(depthwise.stride), Int32(depthwise.padBefore(inputSize: inHeight)),
                 Int32(depthwise.padBefore(inputSize: inWidth)), project.weights, project.bias,
                 Int32(project.outChannels), residual ? 1 : 0, output, Int32(outHeight), Int32(outWidth), scratch, flags)
    }
}
