import Dispatch

/// The network laid out for the fast CPU engine: prepared layers with their spatial sizes, and how to run
/// one image through them.
struct FastCPUEnginePlan: @unchecked Sendable {
    struct Block {
        let expand: FastCPUEngineLayer?
        let depthwise: FastCPUEngineLayer
        let project: FastCPUEngineLayer
        let residual: Bool
        /// Input side; the depthwise output side is `outSize`.
        let inSize: Int
        let outSize: Int
    }

    let inputSize: Int
    let stem: FastCPUEngineLayer
    let stemOut: Int
    let blocks: [Block]
    let head: FastCPUEngineLayer
    /// Floats in the largest activation of one image.
    let largestActivation: Int

    init(model: FoldedMobileNetV2) {
        inputSize = model.config.inputSize
        stem = FastCPUEngineLayer(model.stem)
        stemOut = model.stem.outputSize(inputSize: inputSize)
        var size = stemOut
        var largest = stemOut * stemOut * model.stem.outChannels
        var prepared: [Block] = []
        for block in model.blocks {
            let out = block.depthwise.outputSize(inputSize: size)
            let expanded = size * size * (block.expand?.outChannels ?? block.depthwise.inChannels)
            largest = max(largest, expanded, out * out * block.project.outChannels)
            prepared.append(Block(expand: block.expand.map(FastCPUEngineLayer.init), depthwise: FastCPUEngineLayer(block.depthwise),
                                  project: FastCPUEngineLayer(block.project), residual: block.residual,
                                  inSize: size, outSize: out))
            size = out
        }
        blocks = prepared
        head = FastCPUEngineLayer(model.head)
        largestActivation = max(largest, inputSize * inputSize * 3)
    }

    /// Runs one preprocessed image (S×S×3) to its pooled features. With a pool, every layer is split
    /// across its threads (using `workspace` for all); without, the calling thread does all the work.
    /// With `profile`, each layer's wall time is added to its slot for `thread`.
    func run(image: UnsafePointer<Float>, features: UnsafeMutablePointer<Float>,
             workspace ws: FastCPUEngineWorkspace, pool: ThreadPool?,
             profile: FastCPUEngineProfile? = nil, thread: Int = 0) {
        let pieces = (pool?.threads ?? 1) * 2
        let serial = FastCPUEnginePlan.serial
        let tasks = pool.map { FastCPUEnginePlan.Timed(pool: $0, profile: profile, thread: thread) }
            ?? FastCPUEnginePlan.Timed(pool: serial, profile: profile, thread: thread)
        let stemRows = ThreadPool.Chunks(rows: stemOut, pieces: pieces)
        tasks.run(tasks: stemRows.count) { t, _ in
            StemConv.launchCPU(stem, input: image, height: inputSize, width: inputSize, output: ws.x,
                               rows: stemRows[t])
        }
        for block in blocks {
            var dwInput = UnsafePointer(ws.x)
            let inPixels = block.inSize * block.inSize
            if let expand = block.expand {
                let rows = ThreadPool.Chunks(rows: inPixels, pieces: pieces, granule: PointwiseConv.cpuRowGranule)
                tasks.run(tasks: rows.count) { t, _ in
                    PointwiseConv.launchCPU(expand, input: ws.x, residual: nil, output: ws.e, rows: rows[t])
                }
                dwInput = UnsafePointer(ws.e)
            }
            let dwRows = ThreadPool.Chunks(rows: block.outSize, pieces: pieces)
            tasks.run(tasks: dwRows.count) { t, _ in
                DepthwiseConv.launchCPU(block.depthwise, input: dwInput, height: block.inSize, width: block.inSize,
                                        output: ws.d, rows: dwRows[t])
            }
            // The projection overwrites the block input in place: each tile reads its residual before storing.
            let outPixels = block.outSize * block.outSize
            let rows = ThreadPool.Chunks(rows: outPixels, pieces: pieces, granule: PointwiseConv.cpuRowGranule)
            tasks.run(tasks: rows.count) { t, _ in
                PointwiseConv.launchCPU(block.project, input: ws.d, residual: block.residual ? UnsafePointer(ws.x) : nil,
                                        output: ws.x, rows: rows[t])
            }
        }
        let last = blocks.last?.outSize ?? stemOut
        let columns = ThreadPool.Chunks(rows: head.outChannels, pieces: pool?.threads ?? 1,
                                        granule: PointwiseConv.cpuColumnGranule)
        tasks.run(tasks: columns.count) { t, _ in
            PointwiseConv.launchPooledCPU(head, input: ws.x, pixels: last * last, output: features, columns: columns[t])
        }
    }

    /// A pool of one: runs tasks inline on the caller.
    static let serial = ThreadPool(threads: 1)

    /// Layer names in the order `run` executes them (the profile's slots).
    var layerNames: [String] {
        var names = [stem.name]
        for block in blocks {
            if let expand = block.expand { names.append(expand.name) }
            names += [block.depthwise.name, block.project.name]
        }
        return names + [head.name]
    }

    /// A pool whose every run is one layer, timed into the next profile slot when profiling.
    final class Timed {
        let pool: ThreadPool
        let profile: FastCPUEngineProfile?
        let thread: Int
        private var layer = 0

        init(pool: ThreadPool, profile: FastCPUEngineProfile?, thread: Int) {
            self.pool = pool
            self.profile = profile
            self.thread = thread
        }

        func run(tasks: Int, _ body: (Int, Int) -> Void) {
            guard let profile else { return pool.run(tasks: tasks, body) }
            let start = DispatchTime.now().uptimeNanoseconds
            pool.run(tasks: tasks, body)
            profile.add(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9, layer: layer, thread: thread)
            layer += 1
        }
    }
}

/// Seconds spent per layer, one row per thread so threads never write the same slot.
final class FastCPUEngineProfile: @unchecked Sendable {
    let layers: Int
    let threads: Int
    private let seconds: UnsafeMutablePointer<Double>

    init(layers: Int, threads: Int) {
        self.layers = layers
        self.threads = threads
        seconds = .allocate(capacity: max(1, layers * threads))
        seconds.initialize(repeating: 0, count: max(1, layers * threads))
    }

    deinit { seconds.deallocate() }

    func add(_ s: Double, layer: Int, thread: Int) { seconds[thread * layers + layer] += s }

    /// Per layer, summed over threads.
    var totals: [Double] { (0..<layers).map { l in (0..<threads).reduce(0) { $0 + seconds[$1 * layers + l] } } }
}
