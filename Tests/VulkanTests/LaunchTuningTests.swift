import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The measured fused-or-per-layer choice per block (`VulkanLaunchTuning`), forced on this device with
/// `.measure`: one decision per block, cached, read back without a timing run, a corrupt cache ignored, and
/// the tuned plan (measured or mixed) giving the reference's features, checked by the self-check.
@Suite struct LaunchTuningTests {
    static let size = 96
    static let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: size), seed: 61)
    static let input = Tensor(batch: 2, height: size, width: size, channels: 3, data: randomFloats(2 * size * size * 3, seed: 62))

    static func cacheFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("imgfeat-launches-\(UUID().uuidString)")
    }

    static func files(_ folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "json" }
    }

    static func engine(_ folder: URL?, selfCheck: VulkanSelfCheck? = nil) throws -> VulkanEngine {
        try VulkanEngine(model: model, context: vulkanContext(), batchSize: 2, fusedBlocks: .measure, selfCheck: selfCheck,
                         launchTuning: VulkanLaunchTuning(cache: folder, softwareVersion: "test"))
    }

    /// This device's context where it has timestamp queries; else nil, the skip printed (nothing can be measured).
    static func timedContext() throws -> VulkanContext? {
        let context = try vulkanContext()
        guard context.info.supportsTimestamps else {
            print("skipped: \(context.info.name) has no timestamp queries, so nothing can be measured")
            return nil
        }
        return context
    }

    /// Timed runs of one measurement: a warm-up pair and three timed pairs (fused, per-layer).
    static let runsPerMeasurement = 2 * (VulkanLaunchTuning.defaultRounds + 1)

    @Test func aForcedMeasurementDecidesEveryBlockIsCachedAndReadBack() throws {
        guard let context = try Self.timedContext() else { return }
        let folder = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try Self.engine(folder)
        let record = try #require(first.launchTuning, "no measurement: \(first.fusedBlockChoice)")
        #expect(!first.launchTuningFromCache && first.fusedBlockChoice == "measured")
        #expect(first.launchTimingRuns == Self.runsPerMeasurement)
        #expect(record.blocks.map(\.name) == Self.model.blocks.map(\.name))
        #expect(record.batch == 2 && record.rounds == 3 && record.margin == 0.05 && record.device == context.info.name)
        for block in record.blocks {
            #expect(block.layeredMilliseconds.count == 3 && block.layeredMilliseconds.allSatisfy { $0.isFinite && $0 > 0 },
                    "\(block.name) per-layer \(block.layeredMilliseconds)")
            if block.launch != nil {
                #expect(block.fusedMilliseconds.count == 3 && block.fusedMilliseconds.allSatisfy { $0.isFinite && $0 > 0 },
                        "\(block.name) fused \(block.fusedMilliseconds)")
            } else {
                #expect(block.fusedMilliseconds.isEmpty && !block.fused)
            }
            // The decision is the pure function's on the recorded samples.
            #expect(block.fused == VulkanLaunchTuning.fuses(fusedMilliseconds: block.fusedMedian,
                                                            layeredMilliseconds: block.layeredMedian, margin: 0.05))
        }
        #expect(first.fusedBlockNames == record.blocks.filter(\.fused).map(\.name))
        print("launch tuning on \(context.info.name): \(record.line)\n" + record.report.joined(separator: "\n"))

        let saved = Self.files(folder)
        #expect(saved.count == 1, "cache files \(saved)")
        let onDisk = try JSONDecoder().decode(VulkanLaunchTuningRecord.self, from: Data(contentsOf: try #require(saved.first)))
        #expect(onDisk == record)

        // A second engine of the same shape reads the decisions: no timing run, the same plan.
        let second = try Self.engine(folder)
        #expect(second.launchTimingRuns == 0, "\(second.launchTimingRuns) timing runs with a cached record")
        #expect(second.launchTuningFromCache && second.launchTuning == record && second.fusedBlockChoice == "measured, cached")
        #expect(second.fusedBlockNames == first.fusedBlockNames)
        expectClose(try second.features(Self.input), try ReferenceEngine(model: Self.model).features(Self.input), .fp32,
                    "features of the measured plan (\(second.fusedBlockNames.count) blocks fused)")
        #expect(try validationMessages() == [])
    }

    /// A cached record naming every other block fused: the engine runs exactly that mixed plan, within
    /// 1e-5 of the reference engine, and the self-check checks the fused blocks it runs.
    @Test func aMixedTunedPlanMatchesTheReferenceAndIsSelfChecked() throws {
        guard try Self.timedContext() != nil else { return }
        let folder = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let measured = try Self.engine(folder)
        let file = try #require(Self.files(folder).first)
        var record = try #require(measured.launchTuning)
        for index in record.blocks.indices { record.blocks[index].fused = record.blocks[index].launch != nil && index % 2 == 0 }
        let mixed = record.blocks.filter(\.fused).map(\.name)
        #expect(mixed.count >= 5, "blocks that fit: \(record.blocks.filter { $0.launch != nil }.map(\.name))")
        try JSONEncoder().encode(record).write(to: file)

        let check = VulkanSelfCheck(cache: nil, softwareVersion: "test")
        let engine = try Self.engine(folder, selfCheck: check)
        #expect(engine.launchTimingRuns == 0 && engine.fusedBlockNames == mixed, "fused \(engine.fusedBlockNames)")
        let verdict = try #require(engine.selfCheckVerdict)
        #expect(verdict.checked == ["fused-blocks"] && verdict.passed == ["fused-blocks"], "verdict \(verdict.trials)")
        expectClose(try engine.features(Self.input), try ReferenceEngine(model: Self.model).features(Self.input), .fp32,
                    "features of the mixed plan \(mixed)")
        #expect(try validationMessages() == [])
    }

    /// A corrupt cache file is ignored with one line, measured again and replaced; never fatal.
    @Test func aCorruptCacheIsIgnoredWithOneLine() throws {
        guard try Self.timedContext() != nil else { return }
        let folder = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Learn the key's file without measuring twice: measure once, then corrupt that file.
        let measured = try Self.engine(folder)
        let file = try #require(Self.files(folder).first)
        try Data("{\"blocks\": [trunc".utf8).write(to: file)
        let engine = try Self.engine(folder)
        let note = try #require(engine.launchTuningNote)
        #expect(note.contains(file.lastPathComponent) && note.contains("ignored") && !note.contains("\n"), "note: \(note)")
        #expect(engine.launchTimingRuns == Self.runsPerMeasurement && !engine.launchTuningFromCache)
        #expect(engine.launchTuning?.blocks.count == Self.model.blocks.count)
        let replaced = try JSONDecoder().decode(VulkanLaunchTuningRecord.self, from: Data(contentsOf: file))
        #expect(replaced == engine.launchTuning)
        #expect(measured.launchTuning?.blocks.map(\.launch) == replaced.blocks.map(\.launch))
        #expect(try validationMessages() == [])
    }
}
