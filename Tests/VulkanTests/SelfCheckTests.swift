import Foundation
import Imaging
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The fast-path self-check: a wrong path injected through the test seam (`VulkanFaultInjection`) is caught,
/// turned off, said and cached; a right one is kept; the real kernels pass on this device.
@Suite struct SelfCheckTests {
    static let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: 32), seed: 31)
    /// Seeded input the check never sees, to show what the engine computes afterwards.
    static let input = Tensor(batch: 2, height: 32, width: 32, channels: 3, data: randomFloats(2 * 32 * 32 * 3, seed: 32))

    static func cacheFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("imgfeat-selfcheck-\(UUID().uuidString)")
    }

    static func verdictFiles(_ folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "json" }
    }

    static func engine(_ check: VulkanSelfCheck?, precision: VulkanPrecision = .fp32) throws -> VulkanEngine {
        try VulkanEngine(model: model, context: vulkanContext(), precision: precision, batchSize: 2, selfCheck: check)
    }

    /// The seam really corrupts the output (so the checks below can fail); an engine without a check has no verdict.
    @Test func theSeamCorruptsTheOutput() throws {
        let fault = VulkanFaultInjection(paths: .fusedBlocks)
        let engine = try VulkanEngine(model: Self.model, context: vulkanContext(), batchSize: 2,
                                      selfCheck: nil)
        #expect(engine.selfCheckVerdict == nil)
        let faulty = try VulkanEngine(model: Self.model, context: vulkanContext(), batchSize: 2,
                                      selfCheck: VulkanSelfCheck(cache: nil, softwareVersion: "test", fault: fault))
        // Checked, so it fell back; a second engine sharing its seam but made to skip the check shows the fault.
        #expect(faulty.activeFastPaths.isEmpty)
        let expected = try ReferenceEngine(model: Self.model).features(Self.input)
        expectClose(try engine.features(Self.input), expected, .fp32, "engine without a check")
        let verdict = try #require(faulty.selfCheckVerdict)
        let first = try #require(verdict.trials.first)
        #expect(first.paths == ["fused-blocks"] && !first.passed && first.relativeError >= 0.4,
                "the faulty path's trial: \(first)")
    }

    @Test func aWrongPathFallsBackSaysSoAndIsCached() throws {
        let folder = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let check = VulkanSelfCheck(cache: folder, softwareVersion: "test",
                                    fault: VulkanFaultInjection(paths: .fusedBlocks))
        let engine = try Self.engine(check)
        let verdict = try #require(engine.selfCheckVerdict)
        #expect(!engine.selfCheckFromCache)
        #expect(verdict.checked == ["fused-blocks"] && verdict.failed == ["fused-blocks"] && verdict.passed == [])
        #expect(verdict.baselinePassed)
        #expect(verdict.trials.map(\.paths) == [["fused-blocks"], []], "trials \(verdict.trials)")
        #expect(verdict.trials.map(\.passed) == [false, true])
        #expect(engine.activeFastPaths.isEmpty, "still running \(engine.activeFastPaths.names)")
        let note = try #require(verdict.note)
        #expect(note.contains("fused-blocks differed from the fast CPU engine") && note.contains("using the per-layer float32 kernels"),
                "note: \(note)")
        #expect(!note.contains("\n"))
        // After the fallback the engine gives the reference's features.
        expectClose(try engine.features(Self.input), try ReferenceEngine(model: Self.model).features(Self.input), .fp32,
                    "features after the fallback")

        let files = Self.verdictFiles(folder)
        #expect(files.count == 1, "cache files \(files)")
        let saved = try JSONDecoder().decode(VulkanSelfCheckVerdict.self, from: Data(contentsOf: try #require(files.first)))
        #expect(saved == verdict)
        #expect(saved.subject.isOn(engine.context.info))
        #expect(saved.fault != nil, "a seam verdict must be marked as one")

        let again = try Self.engine(check)
        #expect(again.selfCheckFromCache && again.selfCheckVerdict == verdict && again.activeFastPaths.isEmpty)
        var recheck = check
        recheck.recheck = true
        let rechecked = try Self.engine(recheck)
        #expect(!rechecked.selfCheckFromCache && rechecked.selfCheckVerdict?.failed == ["fused-blocks"])
        #expect(try validationMessages() == [])
    }

    @Test func bisectionKeepsThePathThatPasses() throws {
        let check = VulkanSelfCheck(cache: nil, softwareVersion: "test",
                                    fault: VulkanFaultInjection(paths: [.fusedBlocks, .cooperativeMatrix], faulty: .cooperativeMatrix))
        let engine = try Self.engine(check)
        let verdict = try #require(engine.selfCheckVerdict)
        #expect(verdict.passed == ["fused-blocks"] && verdict.failed == ["coopmat"], "verdict \(verdict)")
        #expect(verdict.trials.map(\.paths) == [["fused-blocks", "coopmat"], [], ["fused-blocks"], ["coopmat"]])
        #expect(verdict.trials.map(\.passed) == [false, true, true, false])
        #expect(engine.activeFastPaths == .fusedBlocks)
        #expect(verdict.note?.contains("keeping fused-blocks") == true, "note \(verdict.note ?? "nil")")
        expectClose(try engine.features(Self.input), try ReferenceEngine(model: Self.model).features(Self.input), .fp32,
                    "features with the passing path kept")
    }

    /// A 1e-3 error fails fp32 (tolerance 1e-5) and passes fp16 (1e-2): the tolerance is the precision's.
    @Test(arguments: VulkanPrecision.allCases)
    func toleranceIsThePrecisions(_ precision: VulkanPrecision) throws {
        let context = try vulkanContext()
        if precision == .fp16 && !context.float16StorageEnabled {
            print("skipped: \(context.info.name) has no 16-bit storage, so no fp16")
            return
        }
        let check = VulkanSelfCheck(cache: nil, softwareVersion: "test",
                                    fault: VulkanFaultInjection(paths: .cooperativeMatrix, relativeError: 1e-3))
        // float16 arithmetic off: with it the fp16 head's own rounding (up to 3e-3 on random weights,
        // docs/VULKAN.md) would blur the seam's 1e-3 this test measures.
        let engine = try VulkanEngine(model: Self.model, context: context, precision: precision, batchSize: 2,
                                      fastPaths: VulkanFastPaths.all.subtracting(.float16Arithmetic), selfCheck: check)
        let verdict = try #require(engine.selfCheckVerdict)
        #expect(verdict.tolerance == VulkanSelfCheck.tolerance(for: precision))
        let error = try #require(verdict.trials.first?.relativeError)
        #expect(error > 5e-4 && error < 2e-3, "the seam's error \(error)")
        #expect(verdict.failed == (precision == .fp32 ? ["coopmat"] : []), "\(precision.rawValue): \(verdict)")
    }

    /// A path whose batch cannot even be recorded (a driver refusing its pipeline) is dropped as a wrong one
    /// is, the others kept, and the note says why; the engine is made and computes the reference's features.
    @Test(arguments: [VulkanFastPaths.fusedBlocks, [.fusedBlocks, .cooperativeMatrix]])
    func aPathThatCannotRunIsDroppedNotFatal(_ pretended: VulkanFastPaths) throws {
        let check = VulkanSelfCheck(cache: nil, softwareVersion: "test",
                                    fault: VulkanFaultInjection(paths: pretended, faulty: [], failing: .fusedBlocks))
        let engine = try Self.engine(check)
        let verdict = try #require(engine.selfCheckVerdict)
        #expect(verdict.baselinePassed && verdict.failed == ["fused-blocks"], "\(verdict)")
        #expect(verdict.passed == pretended.subtracting(.fusedBlocks).names, "\(verdict)")
        let refused = verdict.trials.filter { $0.error != nil }
        #expect(!refused.isEmpty && refused.allSatisfy { $0.paths.contains("fused-blocks") && !$0.passed && $0.relativeError == .infinity },
                "trials \(verdict.trials)")
        let note = try #require(verdict.note)
        #expect(note.contains("fused-blocks could not run here (") && note.contains("injected fault: fused-blocks refused")
                && note.contains("using the per-layer float32 kernels for it") && !note.contains("\n"), "note: \(note)")
        #expect(!engine.activeFastPaths.contains(.fusedBlocks))
        expectClose(try engine.features(Self.input), try ReferenceEngine(model: Self.model).features(Self.input), .fp32,
                    "features after dropping the refused path")
        #expect(try validationMessages() == [])
    }

    @Test func aDeviceWhoseBaseKernelsAreWrongIsRefused() throws {
        let folder = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let check = VulkanSelfCheck(cache: folder, softwareVersion: "test",
                                    fault: VulkanFaultInjection(paths: .fusedBlocks, everywhere: true))
        for attempt in 0..<2 {
            do {
                _ = try Self.engine(check)
                Issue.record("attempt \(attempt): an engine whose every kernel is wrong was made")
            } catch let error as ModelError {
                guard case .deviceRefused = error else { Issue.record("refused as \(error)"); continue }
                #expect("\(error)".hasPrefix("fast-path self-check on ") && "\(error)".contains("even the per-layer float32 kernels differ"),
                        "\(error)")
            }
        }
        let saved = try #require(VulkanSelfCheckCache.all(in: folder).first)
        #expect(!saved.baselinePassed && saved.passed.isEmpty && saved.failed == ["fused-blocks"])
    }

    /// The real kernels on this device, no seam: the check passes at each precision and is cached.
    @Test(arguments: VulkanPrecision.allCases)
    func realKernelsPassHere(_ precision: VulkanPrecision) throws {
        let context = try vulkanContext()
        if precision == .fp16 && !context.float16StorageEnabled {
            print("skipped: \(context.info.name) has no 16-bit storage, so no fp16")
            return
        }
        let folder = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let engine = try Self.engine(VulkanSelfCheck(cache: folder, softwareVersion: "test"), precision: precision)
        let verdict = try #require(engine.selfCheckVerdict)
        // Every path the network records here was checked, and stays on.
        #expect(verdict.checked == engine.activeFastPaths.names)
        print("self-check on \(engine.context.info.name), \(precision.rawValue): checked [\(verdict.checked.joined(separator: ", "))], "
              + "relative error \(verdict.trials.map(\.relativeError))")
        #expect(verdict.baselinePassed && verdict.failed.isEmpty && verdict.note == nil, "\(verdict)")
        let error = try #require(verdict.trials.first?.relativeError)
        #expect(error <= VulkanSelfCheck.tolerance(for: precision) && error > 0,
                "\(precision.rawValue) relative error \(error) (exactly 0 would mean nothing was compared)")
        #expect(verdict.images == VulkanSelfCheck.imageCount)
        #expect(Self.verdictFiles(folder).count == 1)
        #expect(try validationMessages() == [])
    }

    /// A real fast path, no seam: the fused blocks forced on (lavapipe leaves them off by default) are
    /// checked against the fast CPU engine and pass.
    @Test func realFusedBlocksPassHere() throws {
        let engine = try VulkanEngine(model: Self.model, context: vulkanContext(), batchSize: 2, fusedBlocks: .on,
                                      selfCheck: VulkanSelfCheck(cache: nil, softwareVersion: "test"))
        guard !engine.fusedBlockNames.isEmpty else {
            print("skipped: no block of this model fits the fused kernel on \(engine.context.info.name)")
            return
        }
        let verdict = try #require(engine.selfCheckVerdict)
        #expect(verdict.checked == ["fused-blocks"] && verdict.passed == ["fused-blocks"] && verdict.failed.isEmpty, "\(verdict)")
        #expect(engine.activeFastPaths == .fusedBlocks)
        let error = try #require(verdict.trials.first?.relativeError)
        #expect(error > 0 && error <= VulkanSelfCheck.tolerance(for: .fp32), "relative error \(error)")
        print("self-check with \(engine.fusedBlockNames.count) fused blocks: relative error \(error)")
        #expect(try validationMessages() == [])
    }
}
