import Foundation
import Model
import Pipeline
import Testing
import TestSupport

/// The bottleneck verdict as a pure function, and a Vulkan featurization with batches in flight across
/// parts: the reference's rows, the fast-path self-check in the summary and its verdict cached.
@Suite(.serialized) struct FeedingRunTests {
    @Test func bottleneckClassification() {
        func verdict(_ deviceWaited: Double, _ decodeWaited: Double, _ seconds: Double = 100) -> Bottleneck {
            Bottleneck.classify(deviceWaitedForInput: deviceWaited, decodeWaitedForDevice: decodeWaited, seconds: seconds)
        }
        #expect(verdict(40, 1) == .decode, "the device starved: decode is the bottleneck")
        #expect(verdict(1, 40) == .device, "the decode was held back: device is the bottleneck")
        #expect(verdict(2, 3) == .balanced, "neither waited 10 %")
        #expect(verdict(10, 0) == .decode, "exactly the threshold counts")
        #expect(verdict(9.9, 0) == .balanced)
        #expect(verdict(30, 30) == .balanced, "equal waits name neither")
        #expect(verdict(30, 31) == .device)
        #expect(verdict(5, 5, 0) == .balanced, "an empty run")
        let feeding = Feeding(deviceWaitedForInput: 1, decodeWaitedForDevice: 50, seconds: 100, batch: 256)
        #expect(feeding.bottleneck == .device && feeding.line.hasPrefix("bottleneck: device (the decode waited for the device"),
                "\(feeding.line)")
    }

    @Test func vulkanRunStreamsBatchesAcrossPartsAndReportsItsSelfCheck() throws {
        let input = try FeaturizeRunTests.makeInput()
        let out = try temporaryDirectory()
        let cache = try temporaryDirectory()
        defer { [input.root, out, cache].forEach { try? FileManager.default.removeItem(at: $0) } }
        var vulkan = try FeaturizeRunTests.options(input.root, out.appendingPathComponent("vulkan"), device: .vulkan)
        vulkan.fastPathCache = cache
        vulkan.batch = 1  // 8 inputs in parts of 3: several batches in flight when each part ends
        let summary = try Commands.featurize(vulkan)
        let reference = try Commands.featurize(FeaturizeRunTests.options(input.root, out.appendingPathComponent("ref"), device: .reference))
        #expect(summary.featurized == input.good.count && summary.errors == 1 && reference.errors == 1)
        let got = try FeaturizeRunTests.rows(out.appendingPathComponent("vulkan"))
        let expected = try FeaturizeRunTests.rows(out.appendingPathComponent("ref"))
        #expect(Set(got.keys) == Set(expected.keys))
        for (path, (label, features)) in expected {
            #expect(got[path]?.0 == label)
            if let mismatch = firstMismatch(got[path]?.1 ?? [], features, relativeTolerance: 1e-5) {
                Issue.record("\(path): feature \(mismatch.index) expected \(mismatch.expected), got \(mismatch.got)")
            }
        }
        let fastPaths = try #require(summary.fastPaths)
        #expect(fastPaths.selfCheck == "passed" && fastPaths.failed.isEmpty && fastPaths.note == nil, "\(fastPaths)")
        #expect(summary.text.contains("fast paths: ") && summary.text.contains("self-check passed"), "\(summary.text)")
        // Which blocks ran fused and how that was chosen (the engine's own words), in the line and the JSON.
        #expect(fastPaths.blocks == 17 && fastPaths.fusedBlocks.count <= 17 && !fastPaths.fusedBlockChoice.isEmpty)
        #expect(summary.text.contains("fused blocks: \(fastPaths.fusedBlocks.count) of 17 (\(fastPaths.fusedBlockChoice))"), "\(summary.text)")
        let feeding = try #require(summary.feeding)
        #expect(feeding.batch == 1 && summary.text.contains("bottleneck: \(feeding.bottleneck.rawValue)"), "\(summary.text)")
        #expect(reference.fastPaths == nil && reference.feeding != nil)
        let saved = try Data(contentsOf: out.appendingPathComponent("vulkan/_summary.json"))
        let decoded = try JSONDecoder().decode(RunSummary.self, from: saved)
        #expect(decoded.fastPaths == fastPaths && decoded.feeding == feeding)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".json") }
        #expect(files.count == 1, "verdicts cached: \(files)")

        // The second run reads the verdict instead of checking again.
        var again = vulkan
        again.output = out.appendingPathComponent("vulkan2").path
        #expect(try Commands.featurize(again).fastPaths?.selfCheck == "passed (cached)")
    }

    /// A fast path the self-check fails (the test seam) is off for the run, and the summary says so.
    @Test func aFailedSelfCheckIsInTheSummary() throws {
        let input = try FeaturizeRunTests.makeInput()
        let out = try temporaryDirectory()
        defer { [input.root, out].forEach { try? FileManager.default.removeItem(at: $0) } }
        var options = try FeaturizeRunTests.options(input.root, out.appendingPathComponent("vulkan"), device: .vulkan)
        options.fastPathCache = nil
        options.vulkanFault = VulkanFaultInjection(paths: .fusedBlocks)
        let summary = try Commands.featurize(options)
        let fastPaths = try #require(summary.fastPaths)
        #expect(fastPaths.selfCheck == "fell back" && fastPaths.failed == ["fused-blocks"] && !fastPaths.active.contains("fused-blocks"))
        let note = try #require(fastPaths.note)
        #expect(summary.text.contains("self-check fell back, turned off: fused-blocks"), "\(summary.text)")
        #expect(summary.text.contains("warning: \(note)"), "\(summary.text)")
        let decoded = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: out.appendingPathComponent("vulkan/_summary.json")))
        #expect(decoded.fastPaths?.note == note)
        // The fallback's features are still the reference's.
        let reference = try Commands.featurize(FeaturizeRunTests.options(input.root, out.appendingPathComponent("ref"), device: .reference))
        #expect(reference.featurized == summary.featurized)
        let got = try FeaturizeRunTests.rows(out.appendingPathComponent("vulkan"))
        for (path, (_, features)) in try FeaturizeRunTests.rows(out.appendingPathComponent("ref")) {
            if let mismatch = firstMismatch(got[path]?.1 ?? [], features, relativeTolerance: 1e-5) {
                Issue.record("\(path): feature \(mismatch.index) expected \(mismatch.expected), got \(mismatch.got)")
            }
        }
    }
}
