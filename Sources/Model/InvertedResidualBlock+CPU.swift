import CKernels

extension InvertedResidualBlock {
    /// Fast CPU face of the fused block kernel: expand, depthwise and project (with the residual add) row by
    /// row in one pass; the reference is the three layer references in a row. Threaded over images.
    public func cpu(_ x: Tensor, pool: ThreadPool? = nil, kernels: FastCPUEngineKernels = .best) -> Tensor {
        let prepared = FastCPUEngineFusedBlock(self, inputHeight: x.height, inputWidth: x.width, kernels: kernels)
        precondition(x.channels == prepared.inChannels, "block \(index): expects \(prepared.inChannels) channels, got \(x.channels)")
        var out = Tensor(batch: x.batch, height: prepared.outHeight, width: prepared.outWidth,
                         channels: prepared.outChannels, repeating: .nan)
        let threads = pool?.threads ?? 1
        let scratch = (0..<threads).map { _ in FastCPUEngineLayer.allocate(prepared.scratchCount) }
        defer { scratch.forEach { $0.deallocate() } }
        let inStride = x.elementsPerImage, outStride = out.elementsPerImage
        x.data.withUnsafeBufferPointer { input in
            out.data.withUnsafeMutableBufferPointer { output in
                guard let i = input.baseAddress, let o = output.baseAddress else { return }
                (pool ?? ThreadPool(threads: 1)).run(tasks: x.batch) { n, thread in
                    prepared.run(input: i + n * inStride, output: o + n * outStride, scratch: scratch[thread])
                }
            }
        }
        return out
    }
}

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
