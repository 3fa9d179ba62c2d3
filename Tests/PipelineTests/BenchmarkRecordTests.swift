import Foundation
import Pipeline
import Testing
import TestSupport

/// `imgfeat bench --json`: the record bench/vulkan_bench.py reads holds what was measured, per engine.
@Suite(.serialized) struct BenchmarkRecordTests {
    static func options(_ input: URL, device: DeviceChoice, batch: Int, precision: Precision = .fp32) -> RunOptions {
        var options = RunOptions(input: input.path, output: "")
        options.device = device
        options.weights = "random:3"
        options.alpha = 0.35
        options.inputSize = 32
        options.batch = batch
        options.precision = precision
        return options
    }

    /// The fixture images of odd sizes, in one folder.
    static func input() throws -> URL {
        let (root, _, bad) = try FeaturizeRunTests.makeInput()
        try FileManager.default.removeItem(atPath: bad)
        return root
    }

    @Test func cpuRecordHasOneTimePerRepeatAndTheReferenceAgreement() throws {
        let root = try Self.input()
        defer { try? FileManager.default.removeItem(at: root) }
        let (report, record) = try Benchmark(options: Self.options(root, device: .cpu, batch: 3), limit: 5, repeats: 4,
                                             referenceImages: 2).measure()
        #expect(record.images == 5)
        #expect(record.alpha == 0.35 && record.size == 32 && record.weights == "random:3")
        #expect(record.decodeSeconds.count == 4)
        #expect(record.referenceImages == 2)
        try #require(record.engines.count == 1)
        let engine = record.engines[0]
        #expect(engine.batch == 3 && engine.precision == "fp32")
        #expect(engine.networkSeconds.count == 4 && engine.networkSeconds.allSatisfy { $0 > 0 })
        let agreement = try #require(engine.agreement)
        #expect(agreement < 1e-5, "fast CPU vs reference: \(agreement)")
        #expect(engine.pixelsInSeconds == nil && engine.networkProfile == nil, "no Vulkan timings for the CPU engine")
        #expect(report.contains("max |diff| vs reference"))
        // The JSON reads back as the same record.
        let decoded = try JSONDecoder().decode(BenchmarkRecord.self, from: try record.json())
        #expect(decoded.engines[0].networkSeconds == engine.networkSeconds)
    }

    @Test func zeroReferenceImagesSkipsTheCheck() throws {
        let root = try Self.input()
        defer { try? FileManager.default.removeItem(at: root) }
        let (report, record) = try Benchmark(options: Self.options(root, device: .cpu, batch: 2), limit: 2, repeats: 1,
                                             referenceImages: 0).measure()
        #expect(record.referenceImages == 0)
        #expect(record.engines.first?.agreement == nil)
        #expect(!report.contains("reference"), "no reference line when it is skipped:\n\(report)")
    }

    @Test(arguments: [Precision.fp32, .fp16])
    func vulkanRecordHasStageTimesOfBothPaths(precision: Precision) throws {
        let root = try Self.input()
        defer { try? FileManager.default.removeItem(at: root) }
        let (_, record) = try Benchmark(options: Self.options(root, device: .vulkan, batch: 3, precision: precision),
                                        limit: 3, repeats: 2, referenceImages: 3).measure()
        try #require(record.engines.count == 1)
        let engine = record.engines[0]
        #expect(engine.precision == precision.rawValue)
        #expect(engine.deviceKind != nil && engine.driver != nil)
        #expect(engine.submissionBatch == 3)
        #expect(engine.networkSeconds.count == 2 && engine.pixelsInSeconds?.count == 2)
        let agreement = try #require(engine.agreement)
        #expect(agreement < (precision == .fp16 ? 1e-2 : 1e-5), "vulkan \(precision) vs reference: \(agreement)")
        let pixels = try #require(engine.pixelsInProfile)
        let network = try #require(engine.networkProfile)
        for profile in [pixels, network] {
            #expect(profile.images == 3 && profile.batches == 1)
            #expect(profile.uploadMilliseconds > 0 && profile.networkMilliseconds > 0 && profile.downloadMilliseconds > 0)
            #expect(profile.stages.contains { $0.name == "Conv1" && ($0.gflopsPerSecond ?? 0) > 0 })
            // The summed stages are the stage totals: nothing is counted twice or left out.
            let total = profile.stages.reduce(0) { $0 + $1.milliseconds }
            let parts = profile.uploadMilliseconds + profile.preprocessMilliseconds + profile.networkMilliseconds
                + profile.downloadMilliseconds
            #expect(abs(total - parts) <= 1e-9 * max(total, 1))
        }
        #expect(pixels.preprocessMilliseconds > 0, "decoded pixels are resized on the device")
        #expect(network.preprocessMilliseconds == 0, "the network-only path uploads the preprocessed tensor")
    }
}
