import Foundation
import Imaging
import VulkanRuntime

/// MobileNetV2 features on a Vulkan device: weights uploaded once, activations kept on the device,
/// images resized there from their uint8 pixels, and three submission slots with persistent staging, so
/// the host packs batch k + 1 and reads back batch k − 1 while the device runs batch k, across calls of
/// `submit`. Not thread-safe: use one engine per thread.
public final class VulkanEngine: FeatureEngine {
    public let name: String
    public let model: FoldedMobileNetV2
    public let context: VulkanContext
    public let precision: VulkanPrecision
    /// Images per submission (bounded by the device's maxStorageBufferRange).
    public let batchSize: Int
    /// Record per-layer timestamps; read them in `lastProfile`.
    public var profiling = false
    /// GPU timings of the batches up to the last `flush` (or `features` call) when `profiling` was on.
    public private(set) var lastProfile: VulkanProfile?
    /// Decoded pixels: the engine resizes on the device (20× fewer bytes over the bus than the tensor).
    public var inputKind: EngineInputKind { .pixels }
    public var vulkanContext: VulkanContext? { context }
    /// The fast paths this engine was allowed to use (each still subject to the device's support).
    public let requestedFastPaths: VulkanFastPaths
    /// The fast paths it runs now: requested, usable on the device, and not turned off by the self-check.
    public private(set) var activeFastPaths: VulkanFastPaths = []
    /// What the self-check found, when the engine was made with one.
    public private(set) var selfCheckVerdict: VulkanSelfCheckVerdict?
    /// Whether `selfCheckVerdict` was read from the cache rather than measured now.
    public private(set) var selfCheckFromCache = false
    /// Host seconds spent waiting for the device (fences), over the engine's life: large when the
    /// device is the bottleneck.
    public private(set) var deviceWaitSeconds = 0.0
    /// Host seconds spent packing batches and recording submissions, over the engine's life.
    public private(set) var packSeconds = 0.0
    /// Slots, i.e. submissions that can be in flight at once.
    public static let slotCount = 3
    /// The blocks this engine runs as one fused dispatch (`inverted_residual_block.comp`), by profile label.
    public var fusedBlockNames: [String] { zip(model.blocks, network.plan.recordedLaunches).compactMap { $1 == nil ? nil : $0.name } }
    /// The launch of each block it runs fused (block name → `FusedBlockLaunch.description`).
    public var fusedBlockLaunches: [String: String] { byBlock(network.plan.recordedLaunches, \.description) }
    /// The per-layer blocks whose depthwise layer runs with another column count than the device's default
    /// (block name → `DepthwiseConv.Vulkan.columnsDescription`).
    public var depthwiseVariants: [String: String] {
        byBlock(network.plan.recordedDepthwiseColumns, DepthwiseConv.Vulkan.columnsDescription)
    }
    /// The per-layer blocks whose 1×1 convolutions run in another GEMM variant than the device's default
    /// (the launch tuning measured it faster): block name → variant (`PointwiseConv.Vulkan.Variant.description`).
    public var pointwiseVariants: [String: String] { byBlock(network.plan.recordedVariants, \.description) }

    /// Block name → `describe(choice)` for every block with a choice.
    private func byBlock<T>(_ choices: [T?], _ describe: (T) -> String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(model.blocks, choices).compactMap { block, choice in choice.map { (block.name, describe($0)) } })
    }
    /// Where the engine fuses blocks (`on`, `off`, measured where `auto` or `measure` says so).
    public let fusedBlockMode: FusedBlockMode
    /// How the fused-or-per-layer choice was made: "measured", "measured, cached", "forced on", "forced
    /// off", "per-layer on CPU drivers".
    public var fusedBlockChoice: String {
        let kind = context.info.kind
        if !network.fastPaths.intersection(network.plan.tunedPaths).contains(.fusedBlocks) {
            return "off (the fused-blocks fast path is not in use)"
        }
        if network.measuresLaunches {
            return launchTuning == nil ? "not measured (\(launchTuningNote ?? "no timing")); fused where they fit"
                : fusedBlockMode.choiceDescription(on: kind, fromCache: launchTuningFromCache)
        }
        return fusedBlockMode.measures(on: kind) ? "no block fits the device" : fusedBlockMode.choiceDescription(on: kind, fromCache: false)
    }
    /// What the launch tuning measured (or read back from its cache) for this engine's network; nil where
    /// nothing was measured (`fusedBlockChoice` says why).
    public internal(set) var launchTuning: VulkanLaunchTuningRecord?
    /// Whether `launchTuning` was read from the cache rather than measured now.
    public internal(set) var launchTuningFromCache = false
    /// Timed network submissions the launch tuning ran over the engine's life (warm-ups included): 0 when
    /// the decisions came from the cache (the test seam counting them).
    public internal(set) var launchTimingRuns = 0
    /// One line when the tuning's cache was unreadable or the device cannot be timed (said, never fatal).
    public internal(set) var launchTuningNote: String?
    let tuning: VulkanLaunchTuning
    let headPoolMode: HeadPool.Mode
    /// How the pool adds its sums (`KernelReduction`), nil when the head and pool run on cooperative matrices.
    public var poolReduction: KernelReduction? { network.poolReduction }
    /// Fast paths the device offered but the engine dropped, and why (for messages and summaries).
    public var fastPathNotes: [String] {
        network.coopmatFallback.map { ["coopmat: \($0); the per-layer kernels run instead"] } ?? []
    }

    private(set) var network: VulkanNetwork
    /// Builds the network with a set of fast paths allowed (the self-check rebuilds it without a failed one).
    private let makeNetwork: (VulkanFastPaths) throws -> VulkanNetwork
    let fault: VulkanFaultInjection?
    /// Active fast paths that only the test seam pretends to run.
    private var pretendedFastPaths: VulkanFastPaths = []
    let preprocess: ModelInput.Vulkan
    private let slots: [VulkanEngineSlot]
    let scaleTable: Buffer
    // Device copies of the packed images, shared by the slots (each submission starts with a barrier).
    var pixels: Buffer?
    var table: Buffer?
    var coefficients: Buffer?
    var intermediate: Buffer?
    /// Batches submitted and not yet returned, oldest first; `nextSlot` is where the next submission goes.
    private var inFlight: [VulkanEngineSubmission] = []
    private var nextSlot = 0
    private var profile: VulkanProfile?
    private var profileStart = Date()

    /// Opens a context with `options` and prepares `model` on it.
    public convenience init(model: FoldedMobileNetV2, options: VulkanOptions = VulkanOptions(),
                            precision: VulkanPrecision = .fp32, batchSize: Int? = nil,
                            headPool: HeadPool.Mode = .fused, fastPaths: VulkanFastPaths = .all,
                            fusedBlocks: FusedBlockMode = .auto, selfCheck: VulkanSelfCheck? = nil,
                            launchTuning: VulkanLaunchTuning? = nil, reduction: KernelReduction? = nil) throws {
        try self.init(model: model, context: VulkanContext(options: options), precision: precision, batchSize: batchSize,
                      headPool: headPool, fastPaths: fastPaths, fusedBlocks: fusedBlocks, selfCheck: selfCheck,
                      launchTuning: launchTuning, reduction: reduction)
    }

    /// Prepares `model` on an existing context; `batchSize` nil takes `VulkanBatchRule`'s default for the
    /// device, `headPool` chooses the fused or the separate head, `fastPaths` the optional kernels the engine
    /// may use where the device supports them, `fusedBlocks` where it fuses the inverted-residual blocks (with
    /// `.fusedBlocks` allowed; where the mode measures, `launchTuning` says where its decisions are cached,
    /// nil: measured every time), and `selfCheck` (nil: none) checks the fast paths the tuned network runs
    /// against the fast CPU engine first, turning off any that fails (docs/VULKAN.md, "Self-check"); `reduction`
    /// forces how the head's pool adds its sums (nil: the device's `KernelReduction.choose` where
    /// `.subgroupReductions` is allowed, else the shared-memory variants).
    public init(model: FoldedMobileNetV2, context: VulkanContext, precision: VulkanPrecision = .fp32,
                batchSize: Int? = nil, headPool: HeadPool.Mode = .fused, fastPaths: VulkanFastPaths = .all,
                fusedBlocks: FusedBlockMode = .auto, selfCheck: VulkanSelfCheck? = nil,
                launchTuning: VulkanLaunchTuning? = nil, reduction: KernelReduction? = nil) throws {
        try precision.check(context)
        if let batchSize, batchSize < 1 { throw ModelError.badInput("Vulkan engine batch size must be at least 1, got \(batchSize)") }
        self.model = model
        self.context = context
        self.precision = precision
        self.name = "vulkan: \(context.info.name)"
        let fused = headPool == .fused
        let requested = batchSize ?? Self.defaultBatch(model, precision: precision, info: context.info, fusedHead: fused)
        self.batchSize = VulkanNetwork.batchLimit(model, precision: precision, context: context, requested: requested,
                                                  fusedHead: fused)
        requestedFastPaths = fastPaths
        fusedBlockMode = fusedBlocks
        tuning = launchTuning ?? VulkanLaunchTuning(cache: nil, softwareVersion: selfCheck?.softwareVersion ?? "")
        headPoolMode = headPool
        fault = selfCheck?.fault
        let maxBatch = self.batchSize
        makeNetwork = { paths in
            try VulkanNetwork(model: model, context: context, precision: precision, maxBatch: maxBatch,
                              fusedHead: fused, fastPaths: paths, fusedBlocks: fusedBlocks, reduction: reduction)
        }
        network = try makeNetwork(fastPaths)
        preprocess = try ModelInput.Vulkan(context: context, precision: precision)
        let readbackBytes = self.batchSize * model.featureDimension * 4
        slots = try (0..<Self.slotCount).map { _ in try VulkanEngineSlot(context: context, readbackBytes: readbackBytes) }
        scaleTable = try Buffer(context: context, size: 256 * 4, location: .device)
        try uploadOnce(ModelInput.scaleTable, to: scaleTable)
        try tuneLaunches()
        candidateFastPaths = network.activeFastPaths.union(fastPaths.intersection(selfCheck?.fault?.paths ?? []))
        try use(candidateFastPaths)
        if let selfCheck { try runSelfCheck(selfCheck) }
    }

    /// The fast paths the engine runs before any check: those its network records on this device (and,
    /// with the test seam, those it pretends to).
    private(set) var candidateFastPaths: VulkanFastPaths = []

    /// Runs with `paths` (a subset of `candidateFastPaths`) on from now on, rebuilding the network without
    /// the candidates left out when it records one of them. The tuned paths (fused blocks, kernel variants) stay
    /// built and measured as requested: leaving one out only stops the network recording it, so a trial or a
    /// fallback runs the measured plan less that path, never a plan measured again. Only between batches.
    func use(_ paths: VulkanFastPaths) throws {
        let allowed = requestedFastPaths.subtracting(candidateFastPaths.subtracting(paths))
        let built = allowed.union(requestedFastPaths.intersection(.tuned))
        if built != network.fastPaths {
            network = try makeNetwork(built)
            launchTuning = nil
            launchTuningFromCache = false
        }
        network.plan.tunedPaths = allowed.intersection(.tuned)
        // Measured (or read back) only where the network records a tuned path: a trial without any needs no timing.
        if !network.plan.tunedPaths.isEmpty && !network.launchesTuned { try tuneLaunches() }
        pretendedFastPaths = paths.intersection(fault?.paths ?? [])
        activeFastPaths = network.activeFastPaths.union(pretendedFastPaths)
    }

    func recordVerdict(_ verdict: VulkanSelfCheckVerdict, fromCache: Bool) {
        selfCheckVerdict = verdict
        selfCheckFromCache = fromCache
    }

    /// The batch `VulkanBatchRule` picks for `model` on the device `info` describes.
    public static func defaultBatch(_ model: FoldedMobileNetV2, precision: VulkanPrecision, info: DeviceInfo,
                                    fusedHead: Bool = true) -> Int {
        let largest = VulkanNetwork.largestActivationBytes(model, precision: precision, fusedHead: fusedHead)
        let size = model.config.inputSize
        let perImage = 3 * largest + size * size * 3 * 4 + model.featureDimension * 4
        let deviceLocal = info.memoryHeaps.filter(\.deviceLocal).map(\.size).max() ?? 0
        return VulkanBatchRule.defaultBatch(kind: info.kind, deviceLocalBytes: deviceLocal,
                                            maxStorageBufferRange: UInt64(info.maxStorageBufferRange),
                                            largestActivationBytes: largest, deviceBytesPerImage: perImage)
    }

    /// Features of `batch`; an observer whose `deviceConsumer` lives on this engine's context sees each
    /// submission's features on the device (no second pass, no host work), any other one on the host.
    public func features(_ batch: EngineBatch, observer: (any FeatureBatchObserver)?) throws -> [Float] {
        precondition(inFlight.isEmpty, "VulkanEngine.features called with batches in flight: flush() first")
        let done = try submit(batch, tag: 0, observer: observer) + flush()
        return done.last?.features ?? []
    }

    /// Starts `batch` in as many submissions as it needs and returns the batches finished meanwhile.
    public func submit(_ batch: EngineBatch, tag: Int, observer: (any FeatureBatchObserver)?) throws -> [EngineCompletion] {
        var consumer: (any DeviceFeatureConsumer)?
        if let candidate = observer?.deviceConsumer, candidate.context === context {
            guard candidate.rowLength == model.featureDimension else {
                throw ModelError.badInput("a device observer of \(candidate.rowLength)-d rows on a \(model.featureDimension)-d engine")
            }
            consumer = candidate
        }
        let submission = VulkanEngineSubmission(tag: tag, rows: batch.count, dimension: model.featureDimension,
                                                observedOnDevice: consumer != nil, observer: observer)
        if profiling && profile == nil {
            profile = VulkanProfile(device: context.info.name, precision: precision)
            profileStart = Date()
        }
        inFlight.append(submission)
        // A batch that fails to record (a bad image, a pipeline the driver refuses) leaves nothing in flight,
        // so the engine stays usable: the self-check goes on to the next trial after such a failure.
        do { try start(batch, submission, consumer: consumer) } catch {
            inFlight.removeAll { $0 === submission }
            throw error
        }
        return try completed()
    }

    private func start(_ batch: EngineBatch, _ submission: VulkanEngineSubmission, consumer: (any DeviceFeatureConsumer)?) throws {
        switch batch {
        case .tensor(let input):
            try checkInput(input)
            let perImage = input.elementsPerImage
            try enqueue(submission, consumer: consumer) { range, slot, sequence in
                let bytes = precision.encode(Array(input.data[range.lowerBound * perImage..<range.upperBound * perImage]))
                let staging = try slot.staging(bytes: bytes.count)
                try staging.write(bytes)
                try sequence.copy(from: staging, to: network.input, size: bytes.count)
                sequence.barrier()
                if profiling { sequence.timestamp("upload") }
            }
        case .pixels(let images):
            for image in images where image.width < 1 || image.height < 1 || image.pixels.count != image.width * image.height * 3 {
                throw ModelError.badInput("image \(image.width)x\(image.height) with \(image.pixels.count) bytes is not RGB8")
            }
            try enqueue(submission, consumer: consumer) { range, slot, sequence in
                try recordPixels(Array(images[range]), slot: slot, sequence: sequence)
            }
        }
    }

    /// Waits for every submission in flight; returns their batches in order.
    public func flush() throws -> [EngineCompletion] {
        for offset in 0..<slots.count { try collect(slots[(nextSlot + offset) % slots.count]) }
        let done = try completed()
        if var finished = profile {
            finished.wallSeconds = Date().timeIntervalSince(profileStart)
            lastProfile = finished
            profile = nil
        }
        return done
    }

    /// Features of preprocessed input N×S×S×3; N×featureDimension row-major.
    public func features(_ input: Tensor) throws -> [Float] {
        try features(.tensor(input), observer: nil)
    }

    /// Features of decoded images of any sizes: their uint8 pixels are uploaded and resized on the device.
    public func features(images: [RGBImage]) throws -> [Float] {
        try features(.pixels(images), observer: nil)
    }

    /// Records and submits each `batchSize` part of `submission` in the next slot, first reading back
    /// what that slot ran before; `upload` records getting a part's images into `network.input`.
    private func enqueue(_ submission: VulkanEngineSubmission, consumer: (any DeviceFeatureConsumer)?,
                         upload: (Range<Int>, VulkanEngineSlot, CommandSequence) throws -> Void) throws {
        let dimension = model.featureDimension
        for first in stride(from: 0, to: submission.rows, by: batchSize) {
            let range = first..<min(submission.rows, first + batchSize)
            let slot = slots[nextSlot % slots.count]
            nextSlot = (nextSlot + 1) % slots.count
            try collect(slot)
            let packStart = Date()
            let sequence = slot.sequence
            try sequence.begin()
            // Orders this submission after the previous ones, which share the device buffers.
            sequence.barrier()
            if profiling { sequence.timestamp("start") }
            try upload(range, slot, sequence)
            try fault?.check(pretendedFastPaths)
            try network.record(sequence, batch: range.count, timestamps: profiling)
            if let consumer {
                try consumer.record(sequence, rows: range.count, of: network.features)
                if profiling { sequence.timestamp("pca statistics") }
            }
            try sequence.copy(from: network.features, to: slot.readback, size: range.count * dimension * 4)
            sequence.barrier()
            if profiling { sequence.timestamp("download") }
            try sequence.submit()
            submission.remaining += 1
            slot.job = VulkanEngineSlot.Job(batch: submission, range: range,
                                            faulty: fault?.corrupts(pretendedFastPaths) ?? false)
            let packed = Date().timeIntervalSince(packStart)
            packSeconds += packed
            profile?.hostPackSeconds += packed
        }
    }

    /// Waits for `slot`'s submission, if any, and copies its features into its batch.
    private func collect(_ slot: VulkanEngineSlot) throws {
        guard let job = slot.job else { return }
        slot.job = nil
        let dimension = model.featureDimension
        let waitStart = Date()
        try slot.sequence.wait()
        let waited = Date().timeIntervalSince(waitStart)
        deviceWaitSeconds += waited
        let readStart = Date()
        var values = try slot.readback.read(Float.self, count: job.range.count * dimension)
        if job.faulty, let fault { fault.perturb(&values, dimension: dimension) }
        job.batch.features.replaceSubrange(job.range.lowerBound * dimension..<job.range.upperBound * dimension, with: values)
        job.batch.remaining -= 1
        if profile != nil {
            profile?.add(try slot.sequence.timestamps(), flopsPerImage: network.flopsPerImage, images: job.range.count)
            profile?.images += job.range.count
            profile?.batches += 1
            profile?.hostWaitSeconds += waited
            profile?.hostReadSeconds += Date().timeIntervalSince(readStart)
        }
    }

    /// The finished batches at the head of `inFlight`, each shown to its host observer.
    private func completed() throws -> [EngineCompletion] {
        var done: [EngineCompletion] = []
        while let first = inFlight.first, first.remaining == 0 {
            inFlight.removeFirst()
            if !first.observedOnDevice { try first.observer?.observe(first.features, rows: first.rows) }
            done.append(EngineCompletion(tag: first.tag, features: first.features))
        }
        return done
    }
}
