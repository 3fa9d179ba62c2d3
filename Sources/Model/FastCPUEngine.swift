import Foundation

/// The fast CPU engine: SIMD kernels from CKernels with bias, residual and ReLU6 fused into the layer that
/// produces them, NHWC, a persistent thread pool, and buffers allocated once at creation.
///
/// Threads take whole images while a batch has at least one per thread (no synchronisation between
/// layers), and run each inverted residual block fused row by row so the expanded activations stay in
/// cache; the images left over are run layer by layer, each layer split across the threads, so that no
/// thread idles on a small batch.
public final class FastCPUEngine: FeatureEngine {
    public let name = "cpu"
    public let model: FoldedMobileNetV2
    /// Threads running the network, the caller included.
    public let threads: Int
    /// The largest batch the caller intends to pass; larger batches are accepted and run the same way.
    public let maxBatch: Int
    /// The instruction set every kernel call runs on.
    public let kernels: FastCPUEngineKernels

    private let pool: ThreadPool
    private let plan: FastCPUEnginePlan
    /// One workspace per thread, each buffer sized for the largest activation.
    private let workspaces: [FastCPUEngineWorkspace]
    private let lock = NSLock()

    /// An engine over `model` running on `threads` threads (default: the active cores) with the `kernels`
    /// set (default: the widest this CPU runs; an unsupported set is refused by `FastCPUEngineKernels(choice:)`
    /// before it gets here, and a precondition stops it if it still does).
    public init(model: FoldedMobileNetV2, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                maxBatch: Int = 64, kernels: FastCPUEngineKernels = .best) {
        precondition(kernels.isSupported, "fast CPU kernels \(kernels): this CPU lacks \(kernels.requirement)")
        self.kernels = kernels
        self.model = model
        self.maxBatch = max(1, maxBatch)
        pool = ThreadPool(threads: max(1, threads))
        self.threads = pool.threads
        let plan = FastCPUEnginePlan(model: model, kernels: kernels)
        self.plan = plan
        workspaces = (0..<pool.threads).map { _ in
            FastCPUEngineWorkspace(floats: plan.largestActivation, scratch: plan.largestScratch)
        }
    }

    /// Floating-point operations per image (2 per multiply-add of every convolution).
    public var flopsPerImage: Double { plan.flopsPerImage }

    public func features(_ input: Tensor) throws -> [Float] {
        try checkInput(input)
        var out = [Float](repeating: 0, count: input.batch * model.featureDimension)
        lock.lock()
        defer { lock.unlock() }
        run(input, into: &out, profile: nil)
        return out
    }

    /// Runs `input` like `features`, timing every step (stem, each block, head); seconds per step summed
    /// over threads, in order.
    public func profileSteps(_ input: Tensor) throws -> [(step: String, seconds: Double)] {
        try checkInput(input)
        var out = [Float](repeating: 0, count: input.batch * model.featureDimension)
        lock.lock()
        defer { lock.unlock() }
        let names = plan.stepNames
        let profile = FastCPUEngineProfile(steps: names.count, threads: threads)
        run(input, into: &out, profile: profile)
        return zip(names, profile.totals).map { (step: $0.0, seconds: $0.1) }
    }

    private func run(_ input: Tensor, into out: inout [Float], profile: FastCPUEngineProfile?) {
        let perImage = input.elementsPerImage, dimension = model.featureDimension
        let whole = input.batch / threads * threads
        input.data.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                pool.run(tasks: whole) { n, thread in
                    plan.runFused(image: src + n * perImage, features: dst + n * dimension,
                                  workspace: workspaces[thread], profile: profile, thread: thread)
                }
                for n in whole..<input.batch {
                    plan.runSplit(image: src + n * perImage, features: dst + n * dimension,
                                  workspace: workspaces[0], pool: pool, profile: profile)
                }
            }
        }
    }
}

/// Activation memory for one image in flight: `x` and `e` take turns holding block inputs and outputs;
/// `d` and `f` hold the expansion and depthwise output on the layer-by-layer path; `scratch` is the
/// fused block kernel's ring and band.
final class FastCPUEngineWorkspace: @unchecked Sendable {
    let x: UnsafeMutablePointer<Float>
    let e: UnsafeMutablePointer<Float>
    let d: UnsafeMutablePointer<Float>
    let f: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>

    init(floats: Int, scratch scratchFloats: Int) {
        x = FastCPUEngineLayer.allocate(floats)
        e = FastCPUEngineLayer.allocate(floats)
        d = FastCPUEngineLayer.allocate(floats)
        f = FastCPUEngineLayer.allocate(floats)
        scratch = FastCPUEngineLayer.allocate(max(1, scratchFloats))
    }

    deinit {
        for buffer in [x, e, d, f, scratch] { buffer.deallocate() }
    }
}
