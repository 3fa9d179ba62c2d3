extension WindowedConvolution {
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
        FastCPUEngineLayer.runSpatialFace(x, layer, kind: layerKind, into: &out, pool: pool, kernels: kernels)
    }
}
