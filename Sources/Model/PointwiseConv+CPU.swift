import CKernels

extension PointwiseConv {
    /// Rows per tile of the matrix kernel; row chunks are multiples of it so only the last tile is ragged.
    static let cpuRowGranule = 6
    /// Columns per packed weight panel; column chunks are multiples of it.
    static let cpuColumnGranule = 16

    /// Fast CPU face: the reference's result (up to float rounding) from the packed SIMD matrix kernel, with
    /// bias, residual and ReLU6 applied in its epilogue; threaded over pixels.
    public static func cpu(_ x: Tensor, _ layer: ConvLayer, residual: Tensor?, pool: ThreadPool? = nil,
                           kernels: FastCPUEngineKernels = .best) -> Tensor {
        var out = Tensor(batch: x.batch, height: x.height, width: x.width, channels: layer.outChannels,
                         repeating: .nan)
        cpu(x, layer, residual: residual, into: &out, pool: pool, kernels: kernels)
        return out
    }

    /// Fast CPU face writing into `out`, which must already have the output's shape.
    public static func cpu(_ x: Tensor, _ layer: ConvLayer, residual: Tensor?, into out: inout Tensor,
                           pool: ThreadPool? = nil, kernels: FastCPUEngineKernels = .best) {
        precondition(layer.kind == .pointwise && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) input channels, got \(x.channels)")
        precondition(out.batch == x.batch && out.height == x.height && out.width == x.width
                     && out.channels == layer.outChannels, "\(layer.name): output tensor has the wrong shape")
        if let residual {
            precondition(residual.data.count == out.data.count, "\(layer.name): residual shape differs from output")
        }
        let prepared = FastCPUEngineLayer(layer, kernels: kernels)
        let pixels = x.batch * x.height * x.width
        let chunks = ThreadPool.Chunks(rows: pixels, pieces: (pool?.threads ?? 1) * 4, granule: cpuRowGranule)
        let empty: [Float] = []
        x.data.withUnsafeBufferPointer { input in
            (residual?.data ?? empty).withUnsafeBufferPointer { res in
                out.data.withUnsafeMutableBufferPointer { output in
                    guard let i = input.baseAddress, let o = output.baseAddress else { return }
                    let r = residual == nil ? nil : res.baseAddress
                    (pool ?? ThreadPool(threads: 1)).run(tasks: chunks.count) { task, _ in
                        launchCPU(prepared, input: i, residual: r, output: o, rows: chunks[task])
                    }
                }
            }
        }
    }

    /// Fast CPU face of the head: the 1×1 convolution fused with the global average pool, so the
    /// full-resolution output is never stored; N×outChannels, threaded over output channels.
    public static func cpuPooled(_ x: Tensor, _ layer: ConvLayer, pool: ThreadPool? = nil,
                                 kernels: FastCPUEngineKernels = .best) -> [Float] {
        precondition(layer.kind == .pointwise && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) input channels, got \(x.channels)")
        let prepared = FastCPUEngineLayer(layer, kernels: kernels)
        var out = [Float](repeating: .nan, count: x.batch * layer.outChannels)
        let pixels = x.height * x.width
        let columns = ThreadPool.Chunks(rows: layer.outChannels, pieces: pool?.threads ?? 1,
                                        granule: cpuColumnGranule)
        x.data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                guard let i = input.baseAddress, let o = output.baseAddress else { return }
                (pool ?? ThreadPool(threads: 1)).run(tasks: x.batch * columns.count) { task, _ in
                    let n = task / columns.count
                    launchPooledCPU(prepared, input: i + n * pixels * layer.inChannels, pixels: pixels,
                                    output: o + n * layer.outChannels, columns: columns[task % columns.count])
                }
            }
        }
        return out
    }

    /// Runs the kernel for pixel rows `rows` of a whole pixels×inChannels matrix (`residual` and `output`
    /// are pixels×outChannels; `residual` may alias `output`).
    static func launchCPU(_ layer: FastCPUEngineLayer, input: UnsafePointer<Float>,
                          residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        let k = layer.inChannels, n = layer.outChannels
        ck_pointwise(layer.kernels.cValue, input + rows.lowerBound * k, Int32(rows.count), Int32(k), layer.weights, Int32(n), 0,
                     Int32(n), layer.bias, residual.map { $0 + rows.lowerBound * n }, layer.relu6 ? 1 : 0,
                     output + rows.lowerBound * n, nil)
    }

    /// Runs the kernel over all `pixels` rows of one image for output `columns` (starting at a multiple of
    /// 16), writing each column's mean over the pixels to output[column].
    static func launchPooledCPU(_ layer: FastCPUEngineLayer, input: UnsafePointer<Float>, pixels: Int,
                                output: UnsafeMutablePointer<Float>, columns: Range<Int>) {
        (output + columns.lowerBound).update(repeating: 0, count: columns.count)
        ck_pointwise(layer.kernels.cValue, input, Int32(pixels), Int32(layer.inChannels), layer.weights, Int32(layer.outChannels),
                     Int32(columns.lowerBound), Int32(columns.upperBound), layer.bias, nil,
                     layer.relu6 ? 1 : 0, nil, output)
        let scale = Float(pixels)
        for c in columns { output[c] /= scale }
    }
}
