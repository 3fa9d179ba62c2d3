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

    public init(options: RunOptions, limit: Int, repeats: Int) {
        self.options = options
        self.limit = limit
        self.repeats = repeats
    }

    public func run() throws -> String {
        let items = Array(try Listing.items(of: try InputSource(parsing: options.input), config: options.storage).prefix(max(1, limit)))
        guard !items.isEmpty else { throw PipelineError("\(options.input): no *.jpg or *.jpeg images found") }
        let model = try ModelLoading.load(weights: options.weights, alpha: options.alpha, inputSize: options.inputSize,
                                           storage: options.storage)
        let size = model.config.inputSize
        var lines = ["imgfeat bench: \(items.count) images from \(options.input); MobileNetV2 alpha \(model.config.alpha), \(size)×\(size); weights \(model.weightsIdentity); \(options.resolvedThreads) threads", Diagnostics.cpuKernelsReport(chosen: options.cpuKernels)]

        // Decode + resize, all cores.
        let decoder = DecodeStage(fetcher: ObjectFetcher(options.storage), inputSize: size, keepPixels: false,
                                  maxPixels: JPEGDecoder.defaultMaxPixels)
        let decodeTimes = (0..<max(1, repeats)).map { _ in decoder.prepare(part: 0, items: items, endsPart: true).decodeSeconds }
        let batch = decoder.prepare(part: 0, items: items, endsPart: true)
        guard !batch.items.isEmpty else { throw PipelineError("\(options.input): none of the images decoded") }
        lines.append(String(format: "decode + resize + scale: %.1f img/s (median of %d)", Double(items.count) / median(decodeTimes), decodeTimes.count))

        let n = min(batch.items.count, max(1, options.batch))
        let input = Tensor(batch: n, height: size, width: size, channels: 3,
                           data: Array(batch.tensorData.prefix(n * size * size * 3)))
        // The reference is slow: measure it on a few images only, once.
        let referenceCount = min(n, 4)
        let referenceInput = Tensor(batch: referenceCount, height: size, width: size, channels: 3,
                                    data: Array(input.data.prefix(referenceCount * size * size * 3)))
        let referenceStart = Date()
        let reference = try ReferenceEngine(model: model).features(referenceInput)
        let referenceSeconds = Date().timeIntervalSince(referenceStart)
        lines.append("network, batch \(n):")
        lines.append(padded("reference") + String(format: "%10.1f img/s   (%d images, 1 run)",
                                                  Double(referenceCount) / referenceSeconds, referenceCount))

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
            let got = try engine.engine.features(referenceInput)
            let scale = reference.map { abs($0) }.max() ?? 1
            let worst = zip(got, reference).map { abs($0 - $1) }.max() ?? 0
            lines.append(padded(engine.name) + String(format: "%10.1f img/s   (median of %d; max |diff| vs reference %.2e relative)",
                                                      Double(n) / median(times), times.count, Double(worst / max(scale, 1e-30))))
            if let vulkan = engine.vulkan {
                lines += try vulkanProfile(vulkan, items: Array(items.prefix(n)), decoder: decoder)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Pixels in, features out on the device, with the per-layer GPU times of one timed run.
    private func vulkanProfile(_ engine: VulkanEngine, items: [InputItem], decoder: DecodeStage) throws -> [String] {
        var pixelDecoder = decoder
        pixelDecoder.keepPixels = true
        let images = pixelDecoder.prepare(part: 0, items: items, endsPart: true).images
        guard !images.isEmpty else { return [] }
        _ = try engine.features(images: images)
        engine.profiling = true
        defer { engine.profiling = false }
        let start = Date()
        _ = try engine.features(images: images)
        let seconds = Date().timeIntervalSince(start)
        var lines = [String(format: "  vulkan, decoded pixels in (resize on the device): %.1f img/s wall, batch %d",
                            Double(images.count) / seconds, images.count)]
        if let profile = engine.lastProfile {
            lines += profile.report.split(separator: "\n").map { "    " + $0 }
        }
        return lines
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
