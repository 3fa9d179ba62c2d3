import Foundation
import Imaging
import VulkanRuntime

/// MobileNetV2 features on a Vulkan device: weights uploaded once, activations kept on the device,
/// images resized there from their uint8 pixels, and two submission slots so the host packs batch
/// k + 1 while the device runs batch k. Not thread-safe: use one engine per thread.
public final class VulkanEngine: FeatureEngine {
    public let name: String
    public let model: FoldedMobileNetV2
    public let context: VulkanContext
    public let precision: VulkanPrecision
    /// Images per submission (bounded by the device's maxStorageBufferRange).
    public let batchSize: Int
    /// Record per-layer timestamps; read them in `lastProfile`.
    public var profiling = false
    /// GPU timings of the last `features` call when `profiling` was on.
    public private(set) var lastProfile: VulkanProfile?
    /// Decoded pixels: the engine resizes on the device (20× fewer bytes over the bus than the tensor).
    public var inputKind: EngineInputKind { .pixels }
    public var vulkanContext: VulkanContext? { context }
    /// The fast paths this engine was allowed to use (each still subject to the device's support).
    public var fastPaths: VulkanFastPaths { network.fastPaths }
    /// The blocks this engine runs as one fused dispatch (`inverted_residual_block.comp`), by profile label.
    public var fusedBlockNames: [String] { zip(model.blocks, network.fusedLaunches).compactMap { $1 == nil ? nil : $0.name } }
    /// The fast paths in use on this device: those allowed that the device supports.
    public var activeFastPaths: VulkanFastPaths { network.activeFastPaths }
    /// Fast paths the device offered but the engine dropped, and why (for messages and summaries).
    public var fastPathNotes: [String] {
        network.coopmatFallback.map { ["coopmat: \($0); the per-layer kernels run instead"] } ?? []
    }

    private let network: VulkanNetwork
    private let preprocess: ModelInput.Vulkan
    private let slots: [Slot]
    private let scaleTable: Buffer
    // Device copies of the packed images, shared by both slots (each submission starts with a barrier).
    private var pixels: Buffer?
    private var table: Buffer?
    private var coefficients: Buffer?
    private var intermediate: Buffer?

    /// Opens a context with `options` and prepares `model` on it.
    public convenience init(model: FoldedMobileNetV2, options: VulkanOptions = VulkanOptions(),
                            precision: VulkanPrecision = .fp32, batchSize: Int = 16,
                            headPool: HeadPool.Mode = .fused, fastPaths: VulkanFastPaths = .all,
                            fusedBlocks: FusedBlockMode = .auto) throws {
        try self.init(model: model, context: VulkanContext(options: options), precision: precision, batchSize: batchSize,
                      headPool: headPool, fastPaths: fastPaths, fusedBlocks: fusedBlocks)
    }

    /// Prepares `model` on an existing context; `headPool` chooses the fused or the separate head,
    /// `fastPaths` the optional kernels the engine may use where the device supports them, `fusedBlocks`
    /// where it fuses the inverted-residual blocks (with `.fusedBlocks` allowed).
    public init(model: FoldedMobileNetV2, context: VulkanContext, precision: VulkanPrecision = .fp32,
                batchSize: Int = 16, headPool: HeadPool.Mode = .fused, fastPaths: VulkanFastPaths = .all,
                fusedBlocks: FusedBlockMode = .auto) throws {
        try precision.check(context)
        guard batchSize >= 1 else { throw ModelError.badInput("Vulkan engine batch size must be at least 1, got \(batchSize)") }
        self.model = model
        self.context = context
        self.precision = precision
        self.name = "vulkan: \(context.info.name)"
        self.batchSize = VulkanNetwork.batchLimit(model, precision: precision, context: context, requested: batchSize,
                                                  fusedHead: headPool == .fused)
        network = try VulkanNetwork(model: model, context: context, precision: precision, maxBatch: self.batchSize,
                                    fusedHead: headPool == .fused, fastPaths: fastPaths, fusedBlocks: fusedBlocks)
        preprocess = try ModelInput.Vulkan(context: context, precision: precision)
        let readbackBytes = self.batchSize * model.featureDimension * 4
        slots = try (0..<2).map { _ in try Slot(context: context, readbackBytes: readbackBytes) }
        scaleTable = try Buffer(context: context, size: 256 * 4, location: .device)
        try uploadOnce(ModelInput.scaleTable, to: scaleTable)
    }

    /// Features of `batch`; an observer whose `deviceConsumer` lives on this engine's context sees each
    /// submission's features on the device (no second pass, no host work), any other one on the host.
    public func features(_ batch: EngineBatch, observer: (any FeatureBatchObserver)?) throws -> [Float] {
        var consumer: (any DeviceFeatureConsumer)?
        if let candidate = observer?.deviceConsumer, candidate.context === context {
            guard candidate.rowLength == model.featureDimension else {
                throw ModelError.badInput("a device observer of \(candidate.rowLength)-d rows on a \(model.featureDimension)-d engine")
            }
            consumer = candidate
        }
        let features: [Float]
        switch batch {
        case .tensor(let input): features = try tensorFeatures(input, consumer: consumer)
        case .pixels(let images): features = try pixelFeatures(images, consumer: consumer)
        }
        if consumer == nil { try observer?.observe(features, rows: batch.count) }
        return features
    }

    /// Features of preprocessed input N×S×S×3; N×featureDimension row-major.
    public func features(_ input: Tensor) throws -> [Float] {
        try tensorFeatures(input, consumer: nil)
    }

    /// Features of decoded images of any sizes: their uint8 pixels are uploaded and resized on the device.
    public func features(images: [RGBImage]) throws -> [Float] {
        try pixelFeatures(images, consumer: nil)
    }

    private func tensorFeatures(_ input: Tensor, consumer: (any DeviceFeatureConsumer)?) throws -> [Float] {
        try checkInput(input)
        let perImage = input.elementsPerImage
        return try run(count: input.batch, consumer: consumer) { range, slot, sequence in
            let bytes = precision.encode(Array(input.data[range.lowerBound * perImage..<range.upperBound * perImage]))
            let staging = try slot.staging(bytes: bytes.count)
            try staging.write(bytes)
            try sequence.copy(from: staging, to: network.input, size: bytes.count)
            sequence.barrier()
            if profiling { sequence.timestamp("upload") }
        }
    }

    private func pixelFeatures(_ images: [RGBImage], consumer: (any DeviceFeatureConsumer)?) throws -> [Float] {
        for image in images where image.width < 1 || image.height < 1 || image.pixels.count != image.width * image.height * 3 {
            throw ModelError.badInput("image \(image.width)x\(image.height) with \(image.pixels.count) bytes is not RGB8")
        }
        let size = model.config.inputSize
        return try run(count: images.count, consumer: consumer) { range, slot, sequence in
            let packed = ModelInput.PackedImages(Array(images[range]), size: size)
            let arrays: [[UInt32]] = [packed.pixelWords, packed.table, packed.coefficients.map { UInt32(bitPattern: $0) }]
            let offsets = arrays.reduce(into: [0]) { $0.append($0.last! + ($1.count * 4 + 255) / 256 * 256) }
            let staging = try slot.staging(bytes: offsets[3])
            for (array, offset) in zip(arrays, offsets) { try staging.write(array, at: offset / 4) }
            pixels = try grown(pixels, bytes: arrays[0].count * 4)
            table = try grown(table, bytes: arrays[1].count * 4)
            coefficients = try grown(coefficients, bytes: arrays[2].count * 4)
            intermediate = try grown(intermediate, bytes: packed.intermediateWords * 4)
            guard let pixels, let table, let coefficients, let intermediate else { return }
            for (index, target) in [pixels, table, coefficients].enumerated() {
                try sequence.copy(from: staging, offset: offsets[index], to: target, size: arrays[index].count * 4)
            }
            sequence.barrier()
            if profiling { sequence.timestamp("upload") }
            try preprocess.record(sequence, packed: packed, pixels: BufferBinding(pixels, range: arrays[0].count * 4),
                                  table: BufferBinding(table, range: arrays[1].count * 4),
                                  coefficients: BufferBinding(coefficients, range: arrays[2].count * 4),
                                  intermediate: BufferBinding(intermediate, range: packed.intermediateWords * 4),
                                  scaleTable: BufferBinding(scaleTable),
                                  output: BufferBinding(network.input, range: packed.count * size * size * 3 * precision.elementSize))
            sequence.barrier()
            if profiling { sequence.timestamp("preprocess") }
        }
    }

    /// Splits `count` images into batches; `upload` records getting batch `range` into `network.input`.
    /// Batch k + 1 is packed and submitted while batch k runs; results are read back in order. `consumer`
    /// reads each submission's features on the device before they are downloaded.
    private func run(count: Int, consumer: (any DeviceFeatureConsumer)?,
                     upload: (Range<Int>, Slot, CommandSequence) throws -> Void) throws -> [Float] {
        let dimension = model.featureDimension
        var result = [Float](repeating: 0, count: count * dimension)
        let start = Date()
        var profile = VulkanProfile(device: context.info.name, precision: precision)
        let flops = network.flopsPerImage
        var batchIndex = 0
        func collect(_ slot: Slot) throws {
            guard let range = slot.range else { return }
            try slot.sequence.wait()
            let values = try slot.readback.read(Float.self, count: range.count * dimension)
            result.replaceSubrange(range.lowerBound * dimension..<range.upperBound * dimension, with: values)
            if profiling {
                let stamps = try slot.sequence.timestamps()
                for (previous, stamp) in zip(stamps, stamps.dropFirst()) {
                    profile.add(stamp.label, milliseconds: (stamp.nanoseconds - previous.nanoseconds) / 1e6,
                                flops: (flops[stamp.label] ?? 0) * Double(range.count))
                }
                profile.images += range.count
                profile.batches += 1
            }
            slot.range = nil
        }
        for first in stride(from: 0, to: count, by: batchSize) {
            let range = first..<min(count, first + batchSize)
            let slot = slots[batchIndex % slots.count]
            batchIndex += 1
            try collect(slot)
            let sequence = slot.sequence
            try sequence.begin()
            // Orders this submission after the other slot's, which shares the device buffers.
            sequence.barrier()
            if profiling { sequence.timestamp("start") }
            try upload(range, slot, sequence)
            try network.record(sequence, batch: range.count, timestamps: profiling)
            if let consumer {
                try consumer.record(sequence, rows: range.count, of: network.features)
                if profiling { sequence.timestamp("pca statistics") }
            }
            try sequence.copy(from: network.features, to: slot.readback, size: range.count * dimension * 4)
            sequence.barrier()
            if profiling { sequence.timestamp("download") }
            try sequence.submit()
            slot.range = range
        }
        for offset in 0..<slots.count { try collect(slots[(batchIndex + offset) % slots.count]) }
        profile.wallSeconds = Date().timeIntervalSince(start)
        if profiling { lastProfile = profile }
        return result
    }

    /// `buffer` if it holds `bytes`, else a new one with room to spare.
    private func grown(_ buffer: Buffer?, bytes: Int) throws -> Buffer {
        if let buffer, buffer.size >= bytes { return buffer }
        return try Buffer(context: context, size: max(bytes + bytes / 4, 256), location: .device)
    }

    private func uploadOnce(_ values: [Float], to buffer: Buffer) throws {
        let staging = try Buffer(context: context, size: values.count * 4, location: .upload)
        try staging.write(values)
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        try sequence.copy(from: staging, to: buffer, size: values.count * 4)
        sequence.barrier()
        try sequence.run()
    }

    /// One submission in flight: its command sequence, host staging and readback memory.
    private final class Slot {
        let sequence: CommandSequence
        var upload: Buffer?
        let readback: Buffer
        /// Images the submission in flight covers; nil when idle.
        var range: Range<Int>?
        private let context: VulkanContext

        init(context: VulkanContext, readbackBytes: Int) throws {
            self.context = context
            readback = try Buffer(context: context, size: readbackBytes, location: .readback)
            sequence = try CommandSequence(context: context, maxTimestamps: 128)
        }

        /// A host-visible upload buffer of at least `bytes` (only touched while this slot is idle).
        func staging(bytes: Int) throws -> Buffer {
            if let upload, upload.size >= bytes { return upload }
            let buffer = try Buffer(context: context, size: max(bytes + bytes / 4, 256), location: .upload)
            upload = buffer
            return buffer
        }
    }
}
