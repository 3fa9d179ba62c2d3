import CKernels

/// One layer's weights copied once into the layout the C kernels read (matrix weights packed into
/// 16-column panels, the same for every kernel set), so a forward pass does no copying or packing, and
/// the kernel set its calls run on.
final class FastCPUEngineLayer: @unchecked Sendable {
    let name: String
    let kind: ConvLayer.Kind
    let kernelSize: Int
    let stride: Int
    let inChannels: Int
    let outChannels: Int
    let relu6: Bool
    let kernels: FastCPUEngineKernels
    /// Packed into panels for pointwise and full layers (a full layer as a (k·k·in)×out matrix), as in
    /// `ConvLayer.weights` for depthwise ones.
    let weights: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    private let source: ConvLayer

    init(_ layer: ConvLayer, kernels: FastCPUEngineKernels) {
        precondition(layer.weights.count == layer.weightCount && layer.bias.count == layer.outChannels,
                     "\(layer.name): \(layer.weights.count) weights and \(layer.bias.count) biases for its shape")
        name = layer.name
        kind = layer.kind
        kernelSize = layer.kernelSize
        stride = layer.stride
        inChannels = layer.inChannels
        outChannels = layer.outChannels
        relu6 = layer.relu6
        self.kernels = kernels
        source = layer
        let rows = layer.kernelSize * layer.kernelSize * layer.inChannels
        let count = layer.kind == .depthwise
            ? layer.weights.count
            : ck_pointwise_packed_count(Int32(rows), Int32(layer.outChannels))
        weights = FastCPUEngineLayer.allocate(max(count, 1))
        bias = FastCPUEngineLayer.allocate(max(layer.outChannels, 1))
        layer.weights.withUnsafeBufferPointer { w in
            guard let base = w.baseAddress else { return }
            if layer.kind != .depthwise {
                ck_pointwise_pack(base, Int32(rows), Int32(layer.outChannels), weights)
            } else {
                weights.update(from: base, count: w.count)
            }
        }
        layer.bias.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { bias.update(from: base, count: b.count) }
        }
    }

    deinit {
        weights.deallocate()
        bias.deallocate()
    }

    func outputSize(inputSize: Int) -> Int { source.outputSize(inputSize: inputSize) }
    func padBefore(inputSize: Int) -> Int { source.padBefore(inputSize: inputSize) }

    /// The body of the spatial faces (stem, depthwise), which differ only in their kernel: checks that `layer`
    /// is of `kind` and fits `x` and `out`, prepares it for `kernels`, and runs that kind's kernel on row
    /// chunks of every image across `pool`.
    static func runSpatialFace(_ x: Tensor, _ layer: ConvLayer, kind: ConvLayer.Kind, into out: inout Tensor,
                               pool: ThreadPool?, kernels: FastCPUEngineKernels) {
        precondition(layer.kind == kind && x.channels == layer.inChannels,
                     "\(layer.name): expects \(layer.inChannels) input channels, got \(x.channels)")
        precondition(out.batch == x.batch && out.channels == layer.outChannels
                     && out.height == layer.outputSize(inputSize: x.height)
                     && out.width == layer.outputSize(inputSize: x.width),
                     "\(layer.name): output tensor has the wrong shape")
        let prepared = FastCPUEngineLayer(layer, kernels: kernels)
        let (h, w) = (x.height, x.width)
        ThreadPool.rowParallel(x, into: &out, pool: pool) { input, output, rows in
            prepared.launchSpatial(input: input, height: h, width: w, output: output, rows: rows)
        }
    }

    /// Runs this stem or depthwise layer's kernel on one image for output rows `rows`.
    func launchSpatial(input: UnsafePointer<Float>, height: Int, width: Int, output: UnsafeMutablePointer<Float>,
                       rows: Range<Int>) {
        switch kind {
        case .depthwise: DepthwiseConv.launchCPU(self, input: input, height: height, width: width, output: output, rows: rows)
        case .full: StemConv.launchCPU(self, input: input, height: height, width: width, output: output, rows: rows)
        case .pointwise: preconditionFailure("\(name): a pointwise layer has no spatial kernel")
        }
    }

    /// A NaN-filled output tensor for `layer` applied to `x`, so an element a face forgets to write shows.
    static func poisonedOutput(_ x: Tensor, _ layer: ConvLayer) -> Tensor {
        Tensor(batch: x.batch, height: layer.outputSize(inputSize: x.height), width: layer.outputSize(inputSize: x.width),
               channels: layer.outChannels, repeating: .nan)
    }

    /// Float storage aligned to a cache line, so vector loads never straddle one needlessly.
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }
}
