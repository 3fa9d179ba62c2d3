import Foundation
import Imaging
import Model
import Storage

/// `imgfeat bench`: decode and preprocessing throughput on all cores, network throughput of each
/// available engine (median of several runs), and how far each fast engine is from the reference.
public struct Benchmark {
    var options: RunOptions
    var limit: Int
    var repeats: Int
    /// Images the reference engine checks (it is slow); 0 skips the agreement check.
    var referenceImages: Int

    public init(options: RunOptions, limit: Int, repeats: Int, referenceImages: Int = 4) {
        self.options = options
        self.limit = limit
        self.repeats = repeats
        self.referenceImages = max(0, referenceImages)
    }

    /// The printed report.
    public func run() throws -> String { try measure().report }

    /// The printed report and the same measurements as a record (`imgfeat bench --json`).
    public func measure() throws -> (report: String, record: BenchmarkRecord) {
        let items = Array(try Listing.items(of: try InputSource(parsing: options.input), config: options.storage).prefix(max(1, limit)))
        guard !items.isEmpty else { throw PipelineError("\(options.input): no *.jpg or *.jpeg images found") }
        let model = try ModelLoading.load(options)
        let size = model.config.inputSize
        var lines = ["imgfeat bench: \(items.count) images from \(options.input); MobileNetV2 alpha \(model.config.alpha), \(size)×\(size); weights \(model.weightsIdentity); \(options.resolvedThreads) threads", Diagnostics.cpuKernelsReport(chosen: options.cpuKernels),
                     Diagnostics.blasReport()]

        // Decode + resize, all cores.
        let decoder = DecodeStage(fetcher: ObjectFetcher(options.storage), inputSize: size, keepPixels: false,
                                  maxPixels: JPEGDecoder.defaultMaxPixels, draft: options.draft)
        let decodeTimes = (0..<max(1, repeats)).map { _ in decoder.prepare(part: 0, items: items, endsPart: true).decodeSeconds }
        let batch = decoder.prepare(part: 0, items: items, endsPart: true)
        guard !batch.items.isEmpty else { throw PipelineError("\(options.input): none of the images decoded") }
        lines.append((options.draft ? "decode (draft)" : "decode") + String(format: " + resize + scale: %.1f img/s (median of %d)", Double(items.count) / median(decodeTimes), decodeTimes.count))
        var record = BenchmarkRecord(images: items.count, alpha: model.config.alpha, size: size, weights: model.weightsIdentity,
                                     threads: options.resolvedThreads, decodeSeconds: decodeTimes, referenceImages: 0)

        let n = min(batch.items.count, max(1, options.batch ?? 64))
        let input = Tensor(batch: n, height: size, width: size, channels: 3,
                           data: Array(batch.tensorData.prefix(n * size * size * 3)))
        // The reference is slow: measure it on a few images only, once.
        let referenceCount = min(n, referenceImages)
        record.referenceImages = referenceCount
        let referenceInput = Tensor(batch: referenceCount, height: size, width: size, channels: 3,
                                    data: Array(input.data.prefix(referenceCount * size * size * 3)))
        lines.append("network, batch \(n):")
        var reference: [Float] = []
        if referenceCount > 0 {
            let referenceStart = Date()
            reference = try ReferenceEngine(model: model).features(referenceInput)
            let referenceSeconds = Date().timeIntervalSince(referenceStart)
            lines.append(padded("reference") + String(format: "%10.1f img/s   (%d images, 1 run)",
                                                      Double(referenceCount) / referenceSeconds, referenceCount))
        }

        // --device cpu or vulkan measures that engine alone; auto (the default) and reference measure both.
        let devices: [DeviceChoice] = options.device == .cpu || options.device == .vulkan ? [options.device] : [.cpu, .vulkan]
        for device in devices {
            var engineOptions = options
            engineOptions.device = device
            let engine: DeviceStage
            do {
                engine = try EngineFactory.make(options: engineOptions, model: model)
            } catch {
                lines.append("  \(device.rawValue): not available (\(error))")
                continue
            }
            _ = try engine.engine.features(input)  // warm-up: pipelines, caches, thread pool
            var times: [Double] = []
            for _ in 0..<max(1, repeats) {
                let start = Date()
                _ = try engine.engine.features(input)
                times.append(Date().timeIntervalSince(start))
            }
            var agreement: Double?
            if referenceCount > 0 {
                let got = try engine.engine.features(referenceInput)
                let scale = reference.map { abs($0) }.max() ?? 1
                let worst = zip(got, reference).map { abs($0 - $1) }.max() ?? 0
                agreement = Double(worst / max(scale, 1e-30))
            }
            lines.append(padded(engine.name) + String(format: "%10.1f img/s   (median of %d", Double(n) / median(times), times.count)
                         + (agreement.map { String(format: "; max |diff| vs reference %.2e relative)", $0) } ?? ")"))
            // Profiling and the device facts are the Vulkan engine's own.
            let vulkan = engine.engine as? VulkanEngine
            var entry = BenchmarkRecord.Engine(name: engine.name, precision: vulkan == nil ? "fp32" : options.precision.rawValue, batch: n,
                                               networkSeconds: times, agreement: agreement)
            if let vulkan {
                entry.deviceKind = vulkan.context.info.kind.rawValue
                entry.driver = "\(vulkan.context.info.driverName) \(vulkan.context.info.driverInfo)"
                entry.submissionBatch = vulkan.batchSize
                if let report = FastPathReport(vulkan) {
                    entry.fastPaths = report.active
                    entry.selfCheck = report.selfCheck
                    lines.append("  " + report.line)
                    if let note = report.note { lines.append("  warning: \(note)") }
                }
                if let note = vulkan.launchTuningNote { lines.append("  note: \(note)") }
                if let tuning = vulkan.launchTuning {
                    lines += tuning.report.map { "  " + $0 }
                    entry.fusedBlockTuning = tuning
                }
                entry.networkProfile = try profiled(vulkan) { _ = try vulkan.features(input) }.map(BenchmarkRecord.Profile.init)
                lines += try vulkanProfile(vulkan, items: Array(items.prefix(n)), decoder: decoder, entry: &entry)
                lines += try vulkanStreaming(vulkan, items: items, decoder: decoder, entry: &entry)
            }
            record.engines.append(entry)
        }
        return (lines.joined(separator: "\n"), record)
    }

    /// `items` as the Vulkan engine takes them: decoded pixels, resized on the device.
    private func decodedPixels(_ items: [InputItem], _ decoder: DecodeStage) -> [RGBImage] {
        var pixelDecoder = decoder
        pixelDecoder.keepPixels = true
        return pixelDecoder.prepare(part: 0, items: items, endsPart: true).images
    }

    /// Pixels in, features out on the device: wall time of `repeats` runs (median), then the per-layer GPU
    /// times of one more, profiled run.
    private func vulkanProfile(_ engine: VulkanEngine, items: [InputItem], decoder: DecodeStage,
                               entry: inout BenchmarkRecord.Engine) throws -> [String] {
        let images = decodedPixels(items, decoder)
        guard !images.isEmpty else { return [] }
        _ = try engine.features(images: images)
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = Date()
            _ = try engine.features(images: images)
            times.append(Date().timeIntervalSince(start))
        }
        entry.pixelsInSeconds = times
        var lines = [String(format: "  vulkan, decoded pixels in (resize on the device): %.1f img/s wall (median of %d), batch %d",
                            Double(images.count) / median(times), times.count, images.count)]

        if let profile = try profiled(engine, { _ = try engine.features(images: images) }) {
            entry.pixelsInProfile = BenchmarkRecord.Profile(profile)
            lines += profile.report.split(separator: "\n").map { "    " + $0 }
        }
        return lines
    }

    /// All `items` as decoded pixels, cut into submission-sized calls as the pipeline makes them: each call
    /// waited for before the next (one batch in flight), then streamed through `submit` (several in flight).
    private func vulkanStreaming(_ engine: VulkanEngine, items: [InputItem], decoder: DecodeStage,
                                 entry: inout BenchmarkRecord.Engine) throws -> [String] {
        let images = decodedPixels(items, decoder)
        guard !images.isEmpty else { return [] }
        var lines: [String] = []
        // The pipeline's calls, one submission-sized batch each: waited for one by one, then streamed.
        let chunks = stride(from: 0, to: images.count, by: engine.batchSize).map {
            Array(images[$0..<min(images.count, $0 + engine.batchSize)])
        }
        var oneInFlight: [Double] = [], streamed: [Double] = []
        for _ in 0..<max(1, repeats) {
            var start = Date()
            for chunk in chunks { _ = try engine.features(images: chunk) }
            oneInFlight.append(Date().timeIntervalSince(start))
            start = Date()
            for (tag, chunk) in chunks.enumerated() { _ = try engine.submit(.pixels(chunk), tag: tag, observer: nil) }
            _ = try engine.flush()
            streamed.append(Date().timeIntervalSince(start))
        }
        entry.oneInFlightSeconds = oneInFlight
        entry.streamedSeconds = streamed
        lines.append(String(format: "  vulkan, %d calls of %d images: one batch in flight %.1f img/s, streamed (%d slots) %.1f img/s (medians of %d)",
                            chunks.count, engine.batchSize, Double(images.count) / median(oneInFlight), VulkanEngine.slotCount,
                            Double(images.count) / median(streamed), streamed.count))
        return lines
    }

    /// The GPU timestamps of one run of `body` with profiling on.
    private func profiled(_ engine: VulkanEngine, _ body: () throws -> Void) throws -> VulkanProfile? {
        engine.profiling = true
        defer { engine.profiling = false }
        try body()
        return engine.lastProfile
    }

    /// "  name" padded to a column, for the table.
    private func padded(_ name: String) -> String {
        "  " + name + String(repeating: " ", count: max(1, 44 - name.count))
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
