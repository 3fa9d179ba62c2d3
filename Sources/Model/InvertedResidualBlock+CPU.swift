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
