import Common
import Foundation
import VulkanRuntime

extension VulkanEngine {
    /// Where the network's per-block launch choice is the engine's to measure (`VulkanNetwork.measuresLaunches`),
    /// sets each block fused, per-layer, or per-layer in another GEMM variant: from the cached record for this
    /// device, driver, imgfeat, model shape, precision, head mode, batch and other fast paths, or by timing now
    /// (`measureLaunches`) and caching the result. A device without timestamps keeps every candidate fused
    /// and the default GEMM variant (the GPU reasoning) and says so in `launchTuningNote`.
    func tuneLaunches() throws {
        launchTuning = nil
        launchTuningFromCache = false
        network.launchesTuned = true
        guard network.measuresLaunches else { return }
        let candidates = network.candidateLaunches, occupancy = network.occupancyLaunches
        let alternatives = network.pointwiseAlternatives
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
                && record.blocks.allSatisfy({ $0.alternatives.map(\.name) == alternatives.map(\.description) }):
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
        let record = try measureLaunches(candidates, occupancy: occupancy, alternatives: alternatives)
        if let folder { VulkanLaunchTuningCache.save(record, key: key, in: folder) }
        apply(record, candidates: candidates)
    }

    private func apply(_ record: VulkanLaunchTuningRecord, candidates: [FusedBlockLaunch?]) {
        network.fusedLaunches = zip(zip(candidates, network.occupancyLaunches), record.blocks).map { launches, block in
            block.fused ? (block.runsOccupancyLaunch ? launches.1 : launches.0) : nil
        }
        let byName = Dictionary(uniqueKeysWithValues: network.pointwiseAlternatives.map { ($0.description, $0) })
        network.pointwiseVariants = record.blocks.map { $0.fused ? nil : $0.pointwise.flatMap { byName[$0] } }
        launchTuning = record
    }

    /// Times the network in each way a block can run, interleaved: every candidate block fused, every block
    /// per-layer with the default GEMM variant, and per-layer with each alternative variant; a warm-up round
    /// (which also builds the pipelines), then `tuning.rounds` timed ones, each block's GPU milliseconds from
    /// the network's own timestamps (`VulkanNetwork.record(timestamps:)` into a `VulkanProfile`, as
    /// `profiling` does): the fused block's stage, the sum of its layers' stages. Blocks are timed in one
    /// network per way (their times add; a block's choice does not change another's). Only the network is
    /// timed, on seeded inputs placed in `network.input` once, so no staging or readback memory grows for it.
    /// At the engine's batch: the buffers for it exist already, and the choice can differ with the batch (at
    /// batch 1 the small late blocks gain most from one dispatch instead of three).
    private func measureLaunches(_ candidates: [FusedBlockLaunch?], occupancy: [FusedBlockLaunch?],
                                 alternatives: [PointwiseConv.Vulkan.Variant]) throws -> VulkanLaunchTuningRecord {
        let started = Date()
        try placeSeededInput()
        let sequence = try CommandSequence(context: context, maxTimestamps: 4 * model.layers.count + 8)
        let layered = candidates.map { _ -> FusedBlockLaunch? in nil }
        let defaults = candidates.map { _ -> PointwiseConv.Vulkan.Variant? in nil }
        // Way 0: per-layer default; then fused with the first launch and with the occupancy launch (where any
        // block has one); then per-layer in each alternative variant. A fused way times only the blocks it fuses.
        typealias Way = (launches: [FusedBlockLaunch?], variants: [PointwiseConv.Vulkan.Variant?], fuses: Bool)
        var ways: [Way] = [(layered, defaults, false)]
        let fusedWay = candidates.contains { $0 != nil } ? ways.count : nil
        if fusedWay != nil { ways.append((candidates, defaults, true)) }
        let occupancyWay = occupancy.contains { $0 != nil } ? ways.count : nil
        if occupancyWay != nil { ways.append((occupancy, defaults, true)) }
        let firstAlternative = ways.count
        ways += alternatives.map { variant in (layered, candidates.map { _ in variant }, false) }
        var samples = ways.map { _ in model.blocks.map { _ in [Double]() } }
        let tunedPaths = network.tunedPaths
        network.tunedPaths = .tuned
        defer {
            network.fusedLaunches = candidates
            network.pointwiseVariants = defaults
            network.tunedPaths = tunedPaths
        }
        for round in 0...tuning.rounds {
            for (way, plan) in ways.enumerated() {
                network.fusedLaunches = plan.launches
                network.pointwiseVariants = plan.variants
                try sequence.begin()
                sequence.barrier()
                sequence.timestamp("start")
                try network.record(sequence, batch: batchSize, timestamps: true)
                try sequence.run()
                launchTimingRuns += 1
                guard round > 0 else { continue }
                var profile = VulkanProfile(device: context.info.name, precision: precision)
                profile.add(try sequence.timestamps(), flopsPerImage: network.flopsPerImage, images: batchSize)
                let stages = Dictionary(profile.stages.map { ($0.name, $0.milliseconds) }, uniquingKeysWith: +)
                for (index, block) in model.blocks.enumerated() where !plan.fuses || plan.launches[index] != nil {
                    let milliseconds = plan.fuses ? stages[block.name] ?? .nan
                        : block.inOrder.reduce(0) { $0 + (stages[$1.name] ?? .nan) }
                    samples[way][index].append(milliseconds)
                }
            }
        }
        let info = context.info
        return VulkanLaunchTuningRecord(
            device: info.name, vendorID: info.vendorID, deviceID: info.deviceID, driver: "\(info.driverName) \(info.driverInfo)",
            driverVersion: info.driverVersion, imgfeatVersion: tuning.softwareVersion, alpha: model.config.alpha,
            inputSize: model.config.inputSize, precision: precision.rawValue, headPool: headPoolMode.rawValue, batch: batchSize,
            otherFastPaths: otherFastPaths.names, defaultPointwise: network.defaultPointwiseDescription,
            margin: tuning.margin, rounds: tuning.rounds,
            blocks: model.blocks.indices.map { index in
                let fused = fusedWay.map { samples[$0][index] } ?? []
                let second = occupancy[index].map { launch in
                    VulkanLaunchTuningRecord.Timing(name: launch.description, milliseconds: occupancyWay.map { samples[$0][index] } ?? [])
                }
                let timings = alternatives.indices.map {
                    VulkanLaunchTuningRecord.Timing(name: alternatives[$0].description, milliseconds: samples[firstAlternative + $0][index])
                }
                // Options: fused with either launch (where this block has it), then each alternative variant.
                let options = [candidates[index] == nil ? nil : fused, second?.milliseconds] + timings.map { Optional($0.milliseconds) }
                let choice = VulkanLaunchTuning.choice(layered: samples[0][index], options: options, margin: tuning.margin)
                return .init(name: model.blocks[index].name, launch: candidates[index]?.description, fusedMilliseconds: fused,
                             layeredMilliseconds: samples[0][index], fused: choice == 0 || choice == 1,
                             occupancyLaunch: second, runsOccupancyLaunch: choice == 1,
                             alternatives: timings, pointwise: choice.flatMap { $0 > 1 ? timings[$0 - 2].name : nil })
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

    /// The fast paths besides those the tuning chooses (fused blocks, GEMM variants) the network records
    /// (they change the per-layer kernels timed).
    private var otherFastPaths: VulkanFastPaths {
        let saved = (network.fusedLaunches, network.pointwiseVariants)
        defer { (network.fusedLaunches, network.pointwiseVariants) = saved }
        network.fusedLaunches = network.candidateLaunches.map { _ in nil }
        network.pointwiseVariants = network.pointwiseVariants.map { _ in nil }
        return network.activeFastPaths
    }

    /// Everything that can change the decisions: device, driver, imgfeat, model shape, precision, head mode,
    /// batch, the other fast paths in use, which of the tuned paths were requested, and the tuning's own
    /// margin and rounds.
    private func launchTuningKey() -> String {
        // "launches 2": records with the GEMM variants (older ones, without them, are simply not found).
        (["launches 2"] + cacheKeyParts(softwareVersion: tuning.softwareVersion)
            + [headPoolMode.rawValue, "\(batchSize)", otherFastPaths.names.joined(separator: ","),
               network.fastPaths.intersection([.fusedBlocks, .pointwiseVariants]).names.joined(separator: ","),
               "\(tuning.margin)", "\(tuning.rounds)"]).joined(separator: "|")
    }
}
