import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The measured per-block launch choice (`VulkanLaunchTuning`: fused, per-layer, or per-layer in another GEMM
/// variant), forced on this device with `.measure`: one decision per block, cached, read back without a
/// timing run, a corrupt cache ignored, and the tuned plan (measured or mixed) giving the reference's
/// features, checked by the self-check.
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

    /// The GEMM variants timed besides the default on `context`'s device.
    static func alternatives(_ context: VulkanContext) -> [String] {
        PointwiseConv.Vulkan.Variant.alternatives(on: context.info.kind).map(\.description)
    }

    /// The depthwise column counts timed besides the default on `context`'s device.
    static func columnAlternatives(_ context: VulkanContext) -> [String] {
        DepthwiseConv.Vulkan.columnAlternatives(on: context.info.kind)
            .filter { $0 != DepthwiseConv.Vulkan(context: context).columnsPerInvocation }.map(DepthwiseConv.Vulkan.columnsDescription)
    }

    /// Timed runs of one measurement: a warm-up round and three timed ones, each running the network once
    /// per way (per-layer, fused, fused with the occupancy launch where any block has one, per-layer with the
    /// i-th alternative GEMM variant and the i-th alternative depthwise column count).
    static func runsPerMeasurement(_ context: VulkanContext, _ record: VulkanLaunchTuningRecord?) -> Int {
        let occupancy = record?.blocks.contains { $0.occupancyLaunch != nil } == true ? 1 : 0
        let variants = max(alternatives(context).count, columnAlternatives(context).count)
        return (2 + occupancy + variants) * (VulkanLaunchTuning.defaultRounds + 1)
    }

    /// A timed way that cannot run (here every kernel-variant way, refused through the seam as a driver would
    /// refuse a pipeline) is left untimed: the measurement completes, no block takes a variant, the note says
    /// so, and the engine gives the reference's features.
    @Test func aWayThatCannotRunIsLeftUntimed() throws {
        guard try Self.timedContext() != nil else { return }
        let check = VulkanSelfCheck(cache: nil, softwareVersion: "test",
                                    fault: VulkanFaultInjection(paths: [], faulty: [], failing: .kernelVariants))
        let engine = try Self.engine(nil, selfCheck: check)
        let record = try #require(engine.launchTuning)
        #expect(record.blocks.allSatisfy { $0.pointwise == nil && $0.depthwise == nil }, "\(record.report)")
        #expect(record.blocks.allSatisfy { block in
            (block.alternatives + block.depthwiseAlternatives).allSatisfy(\.milliseconds.isEmpty)
        }, "the refused ways were timed: \(record.report)")
        #expect(record.blocks.allSatisfy { $0.layeredMilliseconds.count == VulkanLaunchTuning.defaultRounds })
        #expect(record.blocks.contains { $0.fusedMilliseconds.count == VulkanLaunchTuning.defaultRounds }, "fused ways untimed")
        let note = try #require(engine.launchTuningNote)
        #expect(note.contains("timed ways could not run") && note.contains("injected fault: kernel-variants refused"), "note: \(note)")
        expectClose(try engine.features(Self.input), try ReferenceEngine(model: Self.model).features(Self.input), .fp32,
                    "features after a measurement with untimed ways")
        #expect(try validationMessages() == [])
    }

    @Test func aForcedMeasurementDecidesEveryBlockIsCachedAndReadBack() throws {
        guard let context = try Self.timedContext() else { return }
        let folder = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try Self.engine(folder)
        let record = try #require(first.launchTuning, "no measurement: \(first.fusedBlockChoice)")
        #expect(!first.launchTuningFromCache && first.fusedBlockChoice == "measured")
        #expect(first.launchTimingRuns == Self.runsPerMeasurement(context, record))
        #expect(record.blocks.map(\.name) == Self.model.blocks.map(\.name))
        #expect(record.batch == 2 && record.rounds == 3 && record.margin == 0.05 && record.subject.isOn(context.info))
        for block in record.blocks {
            #expect(block.layeredMilliseconds.count == 3 && block.layeredMilliseconds.allSatisfy { $0.isFinite && $0 > 0 },
                    "\(block.name) per-layer \(block.layeredMilliseconds)")
            if block.launch != nil {
                #expect(block.fusedMilliseconds.count == 3 && block.fusedMilliseconds.allSatisfy { $0.isFinite && $0 > 0 },
                        "\(block.name) fused \(block.fusedMilliseconds)")
            } else {
                #expect(block.fusedMilliseconds.isEmpty && !block.fused)
            }
            #expect(block.alternatives.map(\.name) == Self.alternatives(context))
            #expect(block.depthwiseAlternatives.map(\.name) == Self.columnAlternatives(context))
            #expect(block.layeredDepthwiseMilliseconds.count == 3
                    && zip(block.layeredDepthwiseMilliseconds, block.layeredMilliseconds).allSatisfy { $0 > 0 && $0 < $1 },
                    "\(block.name) depthwise \(block.layeredDepthwiseMilliseconds) of \(block.layeredMilliseconds)")
            for alternative in block.alternatives + block.depthwiseAlternatives {
                #expect(alternative.milliseconds.count == 3 && alternative.milliseconds.allSatisfy { $0.isFinite && $0 > 0 },
                        "\(block.name) \(alternative.name) \(alternative.milliseconds)")
            }
            if let second = block.occupancyLaunch {
                #expect(block.launch != nil && second.name != block.launch, "\(block.name): \(second.name) against \(block.launch ?? "none")")
                #expect(second.milliseconds.count == 3 && second.milliseconds.allSatisfy { $0.isFinite && $0 > 0 },
                        "\(block.name) fused smaller \(second.milliseconds)")
            }
            // The decision is the pure function's on the recorded samples.
            let choice = VulkanLaunchTuning.blockChoice(
                layered: block.layeredMilliseconds, layeredDepthwise: block.layeredDepthwiseMilliseconds,
                fused: [block.launch == nil ? nil : block.fusedMilliseconds, block.occupancyLaunch?.milliseconds],
                gemm: block.alternatives.map(\.milliseconds), depthwise: block.depthwiseAlternatives.map(\.milliseconds), margin: 0.05)
            #expect(block.fused == (choice.fused != nil) && block.runsOccupancyLaunch == (choice.fused == 1)
                    && block.pointwise == choice.gemm.map { block.alternatives[$0].name }
                    && block.depthwise == choice.depthwise.map { block.depthwiseAlternatives[$0].name },
                    "\(block.name): \(block.choice), the pure choice \(choice)")
        }
        #expect(first.fusedBlockNames == record.blocks.filter(\.fused).map(\.name))
        #expect(first.fusedBlockLaunches == Dictionary(uniqueKeysWithValues: record.blocks.filter(\.fused).map { b in
            (b.name, (b.runsOccupancyLaunch ? b.occupancyLaunch?.name : b.launch) ?? "?")
        }))
        #expect(first.pointwiseVariants == Dictionary(uniqueKeysWithValues: record.blocks.compactMap { b in b.pointwise.map { (b.name, $0) } }))
        #expect(first.depthwiseVariants == Dictionary(uniqueKeysWithValues: record.blocks.compactMap { b in b.depthwise.map { (b.name, $0) } }))
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

    /// Measures once into `folder`, then rewrites the cached record to a mixed plan: every other block that
    /// fits fused (every fourth with its occupancy launch where it has one), of the others every fourth in
    /// the first alternative GEMM variant and every third with the first alternative depthwise column count.
    /// Returns the plan.
    static func cacheMixedPlan(_ folder: URL, _ context: VulkanContext)
        throws -> (fused: [String], launches: [String: String], variants: [String: String], columns: [String: String]) {
        let measured = try engine(folder)
        let file = try #require(files(folder).first)
        var record = try #require(measured.launchTuning)
        let alternative = try #require(alternatives(context).first)
        let columnAlternative = try #require(columnAlternatives(context).first)
        for index in record.blocks.indices {
            record.blocks[index].fused = record.blocks[index].launch != nil && index % 2 == 0
            record.blocks[index].runsOccupancyLaunch = record.blocks[index].fused && record.blocks[index].occupancyLaunch != nil
                && index % 4 == 0
            record.blocks[index].pointwise = !record.blocks[index].fused && index % 4 == 1 ? alternative : nil
            record.blocks[index].depthwise = !record.blocks[index].fused && index % 3 == 0 ? columnAlternative : nil
        }
        let fused = record.blocks.filter(\.fused).map(\.name)
        let launches = Dictionary(uniqueKeysWithValues: record.blocks.filter(\.fused).map { b in
            (b.name, (b.runsOccupancyLaunch ? b.occupancyLaunch?.name : b.launch) ?? "?")
        })
        let variants = Dictionary(uniqueKeysWithValues: record.blocks.compactMap { b in b.pointwise.map { (b.name, $0) } })
        #expect(fused.count >= 5, "blocks that fit: \(record.blocks.filter { $0.launch != nil }.map(\.name))")
        #expect(record.blocks.filter(\.runsOccupancyLaunch).count >= 2,
                "occupancy launches: \(record.blocks.compactMap { b in b.occupancyLaunch.map { "\(b.name) \($0.name)" } })")
        let columns = Dictionary(uniqueKeysWithValues: record.blocks.compactMap { b in b.depthwise.map { (b.name, $0) } })
        #expect(variants.count >= 3, "variants \(variants)")
        #expect(columns.count >= 2, "depthwise columns \(columns)")
        try JSONEncoder().encode(record).write(to: file)
        return (fused, launches, variants, columns)
    }

    /// A cached record naming every other block fused and every fourth in an alternative GEMM variant: the
    /// engine runs exactly that mixed plan, within 1e-5 of the reference engine, and the self-check checks
    /// the fused blocks and the variants it runs.
    @Test func aMixedTunedPlanMatchesTheReferenceAndIsSelfChecked() throws {
        guard let context = try Self.timedContext() else { return }
        let folder = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (mixed, launches, variants, columns) = try Self.cacheMixedPlan(folder, context)

        let check = VulkanSelfCheck(cache: nil, softwareVersion: "test")
        let engine = try Self.engine(folder, selfCheck: check)
        #expect(engine.launchTimingRuns == 0 && engine.fusedBlockNames == mixed, "fused \(engine.fusedBlockNames)")
        #expect(engine.fusedBlockLaunches == launches, "launches \(engine.fusedBlockLaunches)")
        #expect(engine.pointwiseVariants == variants, "variants \(engine.pointwiseVariants)")
        #expect(engine.depthwiseVariants == columns, "depthwise columns \(engine.depthwiseVariants)")
        let verdict = try #require(engine.selfCheckVerdict)
        let paths = ["fused-blocks", "kernel-variants"]
        #expect(verdict.checked == paths && verdict.passed == paths, "verdict \(verdict.trials)")
        expectClose(try engine.features(Self.input), try ReferenceEngine(model: Self.model).features(Self.input), .fp32,
                    "features of the mixed plan \(mixed), variants \(variants), depthwise columns \(columns)")
        #expect(try validationMessages() == [])
    }

    /// The same mixed plan with its GEMM variants wrong (the test seam): the self-check keeps the fused blocks
    /// and turns the variants off without timing anything again (the measured plan less that path), and the
    /// next engine reads plan and verdict back, again without a timing run.
    @Test func aFailingVariantIsTurnedOffWithoutMeasuringAgain() throws {
        guard let context = try Self.timedContext() else { return }
        let folder = Self.cacheFolder(), verdicts = Self.cacheFolder()
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: verdicts)
        }
        let (mixed, _, _, _) = try Self.cacheMixedPlan(folder, context)
        let check = VulkanSelfCheck(cache: verdicts, softwareVersion: "test",
                                    fault: VulkanFaultInjection(paths: .kernelVariants))
        let reference = try ReferenceEngine(model: Self.model).features(Self.input)
        for round in 0..<2 {
            let engine = try Self.engine(folder, selfCheck: check)
            #expect(engine.launchTimingRuns == 0, "round \(round): \(engine.launchTimingRuns) timing runs")
            let verdict = try #require(engine.selfCheckVerdict)
            #expect(verdict.passed == ["fused-blocks"] && verdict.failed == ["kernel-variants"], "round \(round): \(verdict.trials)")
            #expect(engine.selfCheckFromCache == (round == 1))
            #expect(engine.fusedBlockNames == mixed && engine.pointwiseVariants.isEmpty && engine.depthwiseVariants.isEmpty
                    && engine.activeFastPaths == .fusedBlocks,
                    "round \(round): fused \(engine.fusedBlockNames), variants \(engine.pointwiseVariants)")
            expectClose(try engine.features(Self.input), reference, .fp32, "round \(round): features with the variants off")
        }
        #expect(Self.files(folder).count == 1, "records \(Self.files(folder))")
        #expect(try validationMessages() == [])
    }

    /// A corrupt cache file is ignored with one line, measured again and replaced; never fatal.
    @Test func aCorruptCacheIsIgnoredWithOneLine() throws {
        guard let context = try Self.timedContext() else { return }
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
        #expect(engine.launchTimingRuns == Self.runsPerMeasurement(context, engine.launchTuning) && !engine.launchTuningFromCache)
        #expect(engine.launchTuning?.blocks.count == Self.model.blocks.count)
        let replaced = try JSONDecoder().decode(VulkanLaunchTuningRecord.self, from: Data(contentsOf: file))
        #expect(replaced == engine.launchTuning)
        #expect(measured.launchTuning?.blocks.map(\.launch) == replaced.blocks.map(\.launch))
        #expect(try validationMessages() == [])
    }
}
