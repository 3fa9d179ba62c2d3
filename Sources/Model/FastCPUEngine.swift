import Foundation

/// The fast CPU engine: SIMD kernels from CKernels with bias, residual and ReLU6 fused into the layer that
/// produces them, NHWC, a persistent thread pool, and buffers allocated once at creation.
///
/// Threads take whole images while a batch has at least one per thread (no synchronisation between
/// layers, each thread's activations stay in its own cache); the images left over are split by rows
/// within each layer so that no thread idles on a small batch.
public final class FastCPUEngine: FeatureEngine {
    public let name = "cpu"
    public let model: FoldedMobileNetV2
    /// Threads running the network, the caller included.
    public let threads: Int
    /// The largest batch the caller intends to pass; larger batches are accepted and run the same way.
    public let maxBatch: Int

    private let pool: ThreadPool
    private let plan: FastCPUEnginePlan
    /// One workspace per thread: three activation buffers, each the size of the largest activation.
    private let workspaces: [FastCPUEngineWorkspace]
    private let lock = NSLock()

    /// An engine over `model` running on `threads` threads (default: the active cores).
    public init(model: FoldedMobileNetV2, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                maxBatch: Int = 64) {
        self.model = model
        self.maxBatch = max(1, maxBatch)
        pool = ThreadPool(threads: max(1, threads))
        self.threads = pool.threads
        let plan = FastCPUEnginePlan(model: model)
        self.plan = plan
        workspaces = (0..<pool.threads).map { _ in FastCPUEngineWorkspace(floats: plan.largestActivation) }
    }

    public func features(_ input: Tensor) throws -> [Float] {
        try checkInput(input)
        let dimension = model.featureDimension
        var out = [Float](repeating: 0, count: input.batch * dimension)
        guard input.batch > 0 else { return out }
        lock.lock()
        defer { lock.unlock() }
        let perImage = input.elementsPerImage
        let whole = input.batch / threads * threads
        input.data.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                if whole > 0 {
                    pool.run(tasks: whole) { n, thread in
                        plan.run(image: src + n * perImage, features: dst + n * dimension,
                                 workspace: workspaces[thread], pool: nil)
                    }
                }
                for n in whole..<input.batch {
                    plan.run(image: src + n * perImage, features: dst + n * dimension,
                             workspace: workspaces[0], pool: pool)
                }
            }
        }
        return out
    }

    /// Runs `input` like `features`, timing every layer; seconds per layer summed over threads, in order.
    public func profileLayers(_ input: Tensor) throws -> [(layer: String, seconds: Double)] {
        try checkInput(input)
        lock.lock()
        defer { lock.unlock() }
        let names = plan.layerNames
        let profile = FastCPUEngineProfile(layers: names.count, threads: threads)
        let perImage = input.elementsPerImage, dimension = model.featureDimension
        let whole = input.batch / threads * threads
        var out = [Float](repeating: 0, count: input.batch * dimension)
        input.data.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                pool.run(tasks: whole) { n, thread in
                    plan.run(image: src + n * perImage, features: dst + n * dimension,
                             workspace: workspaces[thread], pool: nil, profile: profile, thread: thread)
                }
                for n in whole..<input.batch {
                    plan.run(image: src + n * perImage, features: dst + n * dimension,
                             workspace: workspaces[0], pool: pool, profile: profile, thread: 0)
                }
            }
        }
        return Array(zip(names, profile.totals)).map { (layer: $0.0, seconds: $0.1) }
    }
}

/// Activation memory for one image in flight: `x` holds block inputs and outputs, `e` the expansion,
/// `d` the depthwise output.
final class FastCPUEngineWorkspace: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>
    let e: UnsafeMutablePointer<Float>
    let d: UnsafeMutablePointer<Float>

    init(floats: Int) {
        x = FastCPUEngineLayer.allocate(floats)
        e = FastCPUEngineLayer.allocate(floats)
        d = FastCPUEngineLayer.allocate(floats)
    }

    deinit {
        x.deallocate()
        e.deallocate()
        d.deallocate()
    }
}
