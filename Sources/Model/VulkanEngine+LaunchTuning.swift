import Common
import Foundation
import VulkanRuntime

extension VulkanEngine {
    /// Where the network's per-block launch choice is the engine's to measure (`VulkanNetwork.measuresLaunches`),
    /// sets each block fused (with its first or second launch), or per-layer with the default kernels or other
    /// variants (the 1×1 GEMM's tile, the depthwise columns): from the cached record for this device, driver,
    /// imgfeat, model shape, precision, head mode, batch and other fast paths, or by timing now
    /// (`measureLaunches`) and caching the result. A device without timestamps keeps every candidate fused
    /// and the default kernels (the GPU reasoning) and says so in `launchTuningNote`.
    func tuneLaunches() throws {
        launchTuning = nil
        launchTuningFromCache = false
        network.launchesTuned = true
        guard network.measuresLaunches else { return }
        let candidates = network.candidateLaunches, occupancy = network.occupancyLaunches
        let alternatives = network.pointwiseAlternatives, columns = network.depthwiseAlternatives
        guard context.info.supportsTimestamps else {
            launchTuningNote = "\(context.info.name) has no timestamp queries to time the blocks with"
            return
        }
        let key = launchTuningKey()
        // Shader overrides (IMGFEAT_SHADERS) may change between runs: never cached, as with the self-check.
        let folder = context.shaderSources == nil ? tuning.cache : nil
        if let folder {
            switch VulkanLaunchTuningCache.load(key: key, in: folder) {
            case .found(let record) where record.blocks.map(\.name) == model.blocks.map(\.name)
                && record.blocks.map(\.launch) == candidates.map { $0?.description }
                && record.blocks.map(\.occupancyLaunch?.name) == occupancy.map { $0?.description }
                && record.blocks.allSatisfy({ $0.alternatives.map(\.name) == alternatives.map(\.description) })
                && record.blocks.allSatisfy({ $0.depthwiseAlternatives.map(\.name) == columns.map(DepthwiseConv.Vulkan.columnsDescription) }):
                apply(record, candidates: candidates)
                launchTuningFromCache = true
                return
            case .found:
                launchTuningNote = "cached launch tuning for other launches ignored; measuring again"
            case .unreadable(let note):
                launchTuningNote = note
            case .absent:
                break
            }
        }
        let record = try measureLaunches(candidates, occupancy: occupancy, alternatives: alternatives, columns: columns)
        if let folder { VulkanLaunchTuningCache.save(record, key: key, in: folder) }
        apply(record, candidates: candidates)
    }

    private func apply(_ record: VulkanLaunchTuningRecord, candidates: [FusedBlockLaunch?]) {
        var plan = VulkanBlockPlan(fusedLaunches: zip(zip(candidates, network.occupancyLaunches), record.blocks).map { launches, block in
            block.fused ? (block.runsOccupancyLaunch ? launches.1 : launches.0) : nil
        })
        let byName = Dictionary(uniqueKeysWithValues: network.pointwiseAlternatives.map { ($0.description, $0) })
        plan.pointwiseVariants = record.blocks.map { $0.fused ? nil : $0.pointwise.flatMap { byName[$0] } }
        let byColumns = Dictionary(uniqueKeysWithValues: network.depthwiseAlternatives.map { (DepthwiseConv.Vulkan.columnsDescription($0), $0) })
        plan.depthwiseColumns = record.blocks.map { $0.fused ? nil : $0.depthwise.flatMap { byColumns[$0] } }
        plan.tunedPaths = network.plan.tunedPaths
        network.plan = plan
        launchTuning = record
    }

    /// Times the network in each way a block can run, interleaved: every block per-layer with the default
    /// kernels; every candidate fused with its first launch, and with its second where it has one; then
    /// per-layer with the i-th alternative GEMM variant and the i-th alternative depthwise column count
    /// together (the two are different layers, timed as separate stages, so one run serves both); a
    /// warm-up round (which also builds the pipelines), then `tuning.rounds` timed ones, each block's GPU
    /// milliseconds from the network's own timestamps (`VulkanNetwork.record(timestamps:)` into a
    /// `VulkanProfile`, as `profiling` does): a fused block's stage; per-layer, its expand + project stages
    /// (the GEMM part) and its depthwise stage. Blocks are timed side by side in one network per way (their
    /// times add; a block's choice does not change another's kernels). Only the network is timed, on seeded
    /// inputs placed in `network.input` once, so no staging or readback memory grows for it. At the engine's
    /// batch: the buffers for it exist already, and the choice can differ with the batch.
    private func measureLaunches(_ candidates: [FusedBlockLaunch?], occupancy: [FusedBlockLaunch?],
                                 alternatives: [PointwiseConv.Vulkan.Variant], columns: [Int]) throws -> VulkanLaunchTuningRecord {
        let started = Date()
        try placeSeededInput()
        let sequence = try CommandSequence(context: context, maxTimestamps: 4 * model.layers.count + 8)
        let blocks = model.blocks.count
        var ways = [VulkanBlockPlan.layered(blocks: blocks)]
        let fusedWay = candidates.contains { $0 != nil } ? ways.count : nil
        if fusedWay != nil { ways.append(VulkanBlockPlan(fusedLaunches: candidates)) }
        let occupancyWay = occupancy.contains { $0 != nil } ? ways.count : nil
        if occupancyWay != nil { ways.append(VulkanBlockPlan(fusedLaunches: occupancy)) }
        let firstVariantWay = ways.count
        for i in 0..<max(alternatives.count, columns.count) {
            ways.append(.layered(blocks: blocks, variant: i < alternatives.count ? alternatives[i] : nil,
                                 columns: i < columns.count ? columns[i] : nil))
        }
        // Per way and block: the block's stage (fused ways), or its GEMM part and depthwise part (per-layer ways).
        var total = ways.map { _ in model.blocks.map { _ in [Double]() } }
        var gemmPart = total, depthwisePart = total
        let saved = network.plan
        defer { network.plan = saved }
        // Ways that could not be recorded or run (a launch whose pipeline the driver refuses): left untimed,
        // so no block chooses them; only the default way's failure ends the measurement.
        var untimed: [Int: String] = [:]
        for round in 0...tuning.rounds {
            for (index, way) in ways.enumerated() where untimed[index] == nil {
                network.plan = way
                do {
                    try fault?.check(way.recordedPaths)
                    try sequence.begin()
                    sequence.barrier()
                    sequence.timestamp("start")
                    try network.record(sequence, batch: batchSize, timestamps: true)
                    try sequence.run()
                } catch where index > 0 {
                    untimed[index] = "\(error)"
                    for b in model.blocks.indices { (total[index][b], gemmPart[index][b], depthwisePart[index][b]) = ([], [], []) }
                    continue
                }
                launchTimingRuns += 1
                guard round > 0 else { continue }
                var profile = VulkanProfile(device: context.info.name, precision: precision)
                profile.add(try sequence.timestamps(), flopsPerImage: network.flopsPerImage, images: batchSize)
                let stages = Dictionary(profile.stages.map { ($0.name, $0.milliseconds) }, uniquingKeysWith: +)
                func stage(_ name: String) -> Double { stages[name] ?? .nan }
                for (b, block) in model.blocks.enumerated() {
                    if way.fuses {
                        if way.fusedLaunches[b] != nil { total[index][b].append(stage(block.name)) }
                        continue
                    }
                    let gemm = [block.expand, block.project].compactMap { $0 }.reduce(0) { $0 + stage($1.name) }
                    let dw = stage(block.depthwise.name)
                    total[index][b].append(gemm + dw)
                    gemmPart[index][b].append(gemm)
                    depthwisePart[index][b].append(dw)
                }
            }
        }
        if let (index, why) = untimed.min(by: { $0.key < $1.key }) {
            launchTuningNote = "\(untimed.count) of \(ways.count) timed ways could not run (way \(index + 1): \(why)); "
                + "no block chooses them"
        }
        return VulkanLaunchTuningRecord(
            subject: cacheSubject(softwareVersion: tuning.softwareVersion),
            batch: batchSize,
            otherFastPaths: otherFastPaths.names, defaultPointwise: network.defaultPointwiseDescription,
            defaultDepthwise: DepthwiseConv.Vulkan.columnsDescription(network.defaultDepthwiseColumns),
            margin: tuning.margin, rounds: tuning.rounds,
            blocks: model.blocks.indices.map { b in
                let fused = fusedWay.map { total[$0][b] } ?? []
                let second = occupancy[b].map { launch in
                    VulkanLaunchTuningRecord.Timing(name: launch.description, milliseconds: occupancyWay.map { total[$0][b] } ?? [])
                }
                let gemmTimings = alternatives.indices.map {
                    VulkanLaunchTuningRecord.Timing(name: alternatives[$0].description, milliseconds: gemmPart[firstVariantWay + $0][b])
                }
                let columnTimings = columns.indices.map {
                    VulkanLaunchTuningRecord.Timing(name: DepthwiseConv.Vulkan.columnsDescription(columns[$0]),
                                                    milliseconds: depthwisePart[firstVariantWay + $0][b])
                }
                let choice = VulkanLaunchTuning.blockChoice(
                    layered: total[0][b], layeredDepthwise: depthwisePart[0][b],
                    fused: [candidates[b] == nil ? nil : fused, second?.milliseconds],
                    gemm: gemmTimings.map(\.milliseconds), depthwise: columnTimings.map(\.milliseconds), margin: tuning.margin)
                return .init(name: model.blocks[b].name, launch: candidates[b]?.description, fusedMilliseconds: fused,
                             layeredMilliseconds: total[0][b], fused: choice.fused != nil,
                             occupancyLaunch: second, runsOccupancyLaunch: choice.fused == 1,
                             layeredDepthwiseMilliseconds: depthwisePart[0][b], alternatives: gemmTimings,
                             depthwiseAlternatives: columnTimings, pointwise: choice.gemm.map { gemmTimings[$0].name },
                             depthwise: choice.depthwise.map { columnTimings[$0].name })
            },
            measuredAt: ISO8601DateFormatter().string(from: Date()), seconds: Date().timeIntervalSince(started))
    }

    /// Seeded network input for the whole batch: a few distinct images in Keras' [-1, 1] (the work is the
    /// same for any values, but no NaN or denormal), uploaded once and repeated on the device.
    private func placeSeededInput() throws {
        let size = model.config.inputSize, distinct = min(batchSize, 4)
        var generator = SplitMix64(seed: 0x7e57_1a0c)
        let values = (0..<distinct * size * size * 3).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
        let bytes = precision.encode(values), perImage = bytes.count / distinct
        let staging = try Buffer(context: context, size: bytes.count, location: .upload)
        try staging.write(bytes)
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        for image in 0..<batchSize {
            try sequence.copy(from: staging, offset: (image % distinct) * perImage, to: network.input,
                              offset: image * perImage, size: perImage)
        }
        sequence.barrier()
        try sequence.run()
    }

    /// The fast paths besides those the tuning chooses (fused blocks, kernel variants) the network records
    /// (they change the per-layer kernels timed).
    private var otherFastPaths: VulkanFastPaths {
        let saved = network.plan
        defer { network.plan = saved }
        network.plan = .layered(blocks: model.blocks.count)
        return network.activeFastPaths
    }

    /// Everything that can change the decisions: device, driver, imgfeat, model shape, precision, head mode,
    /// batch, the other fast paths in use, which of the tuned paths were requested, and the tuning's own
    /// margin and rounds.
    private func launchTuningKey() -> String {
        // "launches 3": records whose device and model shape are one `subject` (older ones are simply not found).
        (["launches 3"] + cacheKeyParts(softwareVersion: tuning.softwareVersion)
            + ["\(batchSize)", otherFastPaths.names.joined(separator: ","),
               network.fastPaths.intersection(.tuned).names.joined(separator: ","),
               "\(tuning.margin)", "\(tuning.rounds)"]).joined(separator: "|")
    }
}
