import Common
import Foundation
import VulkanRuntime

extension VulkanEngine {
    /// Where the network's fused-block choice is the engine's to measure (`VulkanNetwork.measuresLaunches`),
    /// sets each block fused or per-layer: from the cached record for this device, driver, imgfeat, model
    /// shape, precision, head mode, batch and other fast paths, or by timing now (`measureLaunches`) and
    /// caching the result. A device without timestamps keeps every candidate fused (the GPU reasoning) and
    /// says so in `launchTuningNote`.
    func tuneLaunches() throws {
        launchTuning = nil
        launchTuningFromCache = false
        guard network.measuresLaunches else { return }
        let candidates = network.candidateLaunches
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
                && record.blocks.map(\.launch) == candidates.map { $0?.description }:
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
        let record = try measureLaunches(candidates)
        if let folder { VulkanLaunchTuningCache.save(record, key: key, in: folder) }
        apply(record, candidates: candidates)
    }

    private func apply(_ record: VulkanLaunchTuningRecord, candidates: [FusedBlockLaunch?]) {
        network.fusedLaunches = zip(candidates, record.blocks).map { $1.fused ? $0 : nil }
        launchTuning = record
    }

    /// Times the network with every candidate block fused and with none, interleaved: a warm-up pair (which
    /// also builds the pipelines), then `tuning.rounds` timed pairs, each block's GPU milliseconds from the
    /// network's own timestamps (`VulkanNetwork.record(timestamps:)` into a `VulkanProfile`, as `profiling`
    /// does): the fused block's stage, the sum of its layers' stages. Only the network is timed, on seeded
    /// inputs placed in `network.input` once, so no staging or readback memory grows for it. At the engine's
    /// batch: the buffers for it exist already, and the choice can differ with the batch (at batch 1 the
    /// small late blocks gain most from one dispatch instead of three).
    private func measureLaunches(_ candidates: [FusedBlockLaunch?]) throws -> VulkanLaunchTuningRecord {
        let started = Date()
        try placeSeededInput()
        let sequence = try CommandSequence(context: context, maxTimestamps: 4 * model.layers.count + 8)
        let plans: [(fused: Bool, launches: [FusedBlockLaunch?])] = [(true, candidates), (false, candidates.map { _ in nil })]
        var fused = candidates.map { $0 == nil ? nil : [Double]() }, layered = candidates.map { _ in [Double]() }
        defer { network.fusedLaunches = candidates }
        for round in 0...tuning.rounds {
            for plan in plans {
                network.fusedLaunches = plan.launches
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
                for (index, block) in model.blocks.enumerated() {
                    if plan.fused {
                        if fused[index] != nil { fused[index]!.append(stages[block.name] ?? .nan) }
                    } else {
                        layered[index].append(block.inOrder.reduce(0) { $0 + (stages[$1.name] ?? .nan) })
                    }
                }
            }
        }
        let decisions = VulkanLaunchTuning.decisions(fused: fused, layered: layered, margin: tuning.margin)
        let info = context.info
        return VulkanLaunchTuningRecord(
            device: info.name, vendorID: info.vendorID, deviceID: info.deviceID, driver: "\(info.driverName) \(info.driverInfo)",
            driverVersion: info.driverVersion, imgfeatVersion: tuning.softwareVersion, alpha: model.config.alpha,
            inputSize: model.config.inputSize, precision: precision.rawValue, headPool: headPoolMode.rawValue, batch: batchSize,
            otherFastPaths: otherFastPaths.names, margin: tuning.margin, rounds: tuning.rounds,
            blocks: model.blocks.indices.map { index in
                .init(name: model.blocks[index].name, launch: candidates[index]?.description,
                      fusedMilliseconds: fused[index] ?? [], layeredMilliseconds: layered[index], fused: decisions[index])
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

    /// The fast paths besides fused blocks the network records (they change the per-layer kernels timed).
    private var otherFastPaths: VulkanFastPaths {
        let saved = network.fusedLaunches
        defer { network.fusedLaunches = saved }
        network.fusedLaunches = network.candidateLaunches.map { _ in nil }
        return network.activeFastPaths
    }

    /// Everything that can change the decisions: device, driver, imgfeat, model shape, precision, head mode,
    /// batch, the other fast paths in use and the tuning's own margin and rounds.
    private func launchTuningKey() -> String {
        (["launches"] + cacheKeyParts(softwareVersion: tuning.softwareVersion)
            + [headPoolMode.rawValue, "\(batchSize)", otherFastPaths.names.joined(separator: ","), "\(tuning.margin)",
               "\(tuning.rounds)"]).joined(separator: "|")
    }
}
