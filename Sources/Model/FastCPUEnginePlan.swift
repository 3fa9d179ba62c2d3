import Foundation

/// The network laid out for the fast CPU engine: prepared layers with their spatial sizes, and how to run
/// one image through them.
struct FastCPUEnginePlan: @unchecked Sendable {
    let inputSize: Int
    let stem: FastCPUEngineLayer
    let stemOut: Int
    let blocks: [FastCPUEngineFusedBlock]
    let head: FastCPUEngineLayer
    /// Floats in the largest activation of one image.
    let largestActivation: Int
    /// Floats of scratch the largest fused block needs.
    let largestScratch: Int

    init(model: FoldedMobileNetV2, kernels: FastCPUEngineKernels) {
        inputSize = model.config.inputSize
        stem = FastCPUEngineLayer(model.stem, kernels: kernels)
        stemOut = model.stem.outputSize(inputSize: inputSize)
        var size = stemOut
        var largest = stemOut * stemOut * model.stem.outChannels
        var prepared: [FastCPUEngineFusedBlock] = []
        for block in model.blocks {
            let fused = FastCPUEngineFusedBlock(block, inputHeight: size, inputWidth: size, kernels: kernels)
            let expanded = size * size * fused.depthwise.inChannels
            largest = max(largest, expanded, fused.outHeight * fused.outWidth * fused.outChannels)
            prepared.append(fused)
            size = fused.outHeight
        }
        blocks = prepared
        head = FastCPUEngineLayer(model.head, kernels: kernels)
        largestActivation = max(largest, inputSize * inputSize * 3)
        largestScratch = prepared.map(\.scratchCount).max() ?? 1
    }

    /// Runs one preprocessed image (S×S×3) to its pooled features on the calling thread, each block fused
    /// row by row. With `profile`, each step's time (stem, each block, head) goes to its slot for `thread`.
    func runFused(image: UnsafePointer<Float>, features: UnsafeMutablePointer<Float>,
                  workspace ws: FastCPUEngineWorkspace, profile: FastCPUEngineProfile? = nil, thread: Int = 0) {
        var clock = FastCPUEngineProfile.Stopwatch(profile: profile, thread: thread)
        StemConv.launchCPU(stem, input: image, height: inputSize, width: inputSize, output: ws.x, rows: 0..<stemOut)
        clock.lap()
        var current = ws.x, other = ws.e
        for block in blocks {
            block.run(input: current, output: other, scratch: ws.scratch)
            swap(&current, &other)
            clock.lap()
        }
        let last = blocks.last?.outHeight ?? stemOut
        PointwiseConv.launchPooledCPU(head, input: current, pixels: last * last, output: features,
                                      columns: 0..<head.outChannels)
        clock.lap()
    }

    /// Runs one image layer by layer with every layer split across `pool`'s threads (all sharing
    /// `workspace`): for batches smaller than the thread count.
    func runSplit(image: UnsafePointer<Float>, features: UnsafeMutablePointer<Float>,
                  workspace ws: FastCPUEngineWorkspace, pool: ThreadPool, profile: FastCPUEngineProfile? = nil) {
        var clock = FastCPUEngineProfile.Stopwatch(profile: profile, thread: 0)
        let pieces = pool.threads * 2
        let stemRows = ThreadPool.Chunks(rows: stemOut, pieces: pieces)
        pool.run(tasks: stemRows.count) { t, _ in
            StemConv.launchCPU(stem, input: image, height: inputSize, width: inputSize, output: ws.x,
                               rows: stemRows[t])
        }
        clock.lap()
        var current = ws.x, other = ws.e
        for block in blocks {
            var dwInput = UnsafePointer(current)
            let inPixels = block.inHeight * block.inWidth
            if let expand = block.expand {
                let rows = ThreadPool.Chunks(rows: inPixels, pieces: pieces, granule: PointwiseConv.cpuRowGranule)
                pool.run(tasks: rows.count) { t, _ in
                    PointwiseConv.launchCPU(expand, input: current, residual: nil, output: ws.d, rows: rows[t])
                }
                dwInput = UnsafePointer(ws.d)
            }
            let dwOut = block.expand == nil ? ws.d : ws.f
            let dwRows = ThreadPool.Chunks(rows: block.outHeight, pieces: pieces)
            pool.run(tasks: dwRows.count) { t, _ in
                DepthwiseConv.launchCPU(block.depthwise, input: dwInput, height: block.inHeight,
                                        width: block.inWidth, output: dwOut, rows: dwRows[t])
            }
            let rows = ThreadPool.Chunks(rows: block.outHeight * block.outWidth, pieces: pieces,
                                         granule: PointwiseConv.cpuRowGranule)
            pool.run(tasks: rows.count) { t, _ in
                PointwiseConv.launchCPU(block.project, input: dwOut, residual: block.residual ? UnsafePointer(current) : nil,
                                        output: other, rows: rows[t])
            }
            swap(&current, &other)
            clock.lap()
        }
        let last = blocks.last?.outHeight ?? stemOut
        let columns = ThreadPool.Chunks(rows: head.outChannels, pieces: pool.threads,
                                        granule: PointwiseConv.cpuColumnGranule)
        pool.run(tasks: columns.count) { t, _ in
            PointwiseConv.launchPooledCPU(head, input: current, pixels: last * last, output: features,
                                          columns: columns[t])
        }
        clock.lap()
    }

    /// Floating-point operations of one image (2 per multiply-add; the residual adds, bias and clamps left out),
    /// so a rate in images per second reads as GFLOP/s against the machine's SGEMM peak.
    var flopsPerImage: Double {
        func macs(_ l: FastCPUEngineLayer, outSide: Int) -> Int {
            let perPixel = l.kind == .depthwise ? l.inChannels : l.inChannels * l.outChannels
            return outSide * outSide * perPixel * l.kernelSize * l.kernelSize
        }
        var total = macs(stem, outSide: stemOut)
        for block in blocks {
            if let expand = block.expand { total += macs(expand, outSide: block.inHeight) }
            total += macs(block.depthwise, outSide: block.outHeight) + macs(block.project, outSide: block.outHeight)
        }
        total += macs(head, outSide: blocks.last?.outHeight ?? stemOut)
        return 2 * Double(total)
    }

    /// Step names in the order the runs time them (the profile's slots).
    var stepNames: [String] {
        [stem.name] + blocks.map { $0.depthwise.name.replacingOccurrences(of: "_depthwise", with: "") } + [head.name + " + pool"]
    }
}

/// Seconds spent per step, one row per thread so threads never write the same slot.
final class FastCPUEngineProfile: @unchecked Sendable {
    let steps: Int
    let threads: Int
    private let seconds: UnsafeMutablePointer<Double>

    init(steps: Int, threads: Int) {
        self.steps = steps
        self.threads = threads
        seconds = .allocate(capacity: max(1, steps * threads))
        seconds.initialize(repeating: 0, count: max(1, steps * threads))
    }

    deinit { seconds.deallocate() }

    /// Per step, summed over threads.
    var totals: [Double] { (0..<steps).map { s in (0..<threads).reduce(0) { $0 + seconds[$1 * steps + s] } } }

    /// Adds the time since the previous lap to the next step's slot; does nothing without a profile.
    struct Stopwatch {
        let profile: FastCPUEngineProfile?
        let thread: Int
        private var step = 0
        private var last: UInt64

        init(profile: FastCPUEngineProfile?, thread: Int) {
            self.profile = profile
            self.thread = thread
            last = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
        }

        mutating func lap() {
            guard let profile else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            profile.seconds[thread * profile.steps + step] += Double(now - last) * 1e-9
            last = now
            step += 1
        }
    }
}
