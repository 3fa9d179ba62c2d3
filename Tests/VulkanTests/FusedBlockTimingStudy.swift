import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Fused inverted-residual blocks against the per-layer kernels (docs/VULKAN.md, "Fused blocks"): whole
/// networks with `fusedBlocks: .on` and `.off` side by side in one process, rounds interleaved, medians of
/// wall time and GPU network time, then each block's GPU ms fused and layer by layer. A measurement, not a
/// check: it prints and runs only with IMGFEAT_FUSED_BLOCK_STUDY=1:
/// `IMGFEAT_FUSED_BLOCK_STUDY=1 swift test -c release --filter FusedBlockTimingStudy 2>&1 | grep study:`
/// (STUDY_ROUNDS, 3 by default; STUDY_CONFIGS, e.g. "1.0/224/1,0.35/96/8").
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["IMGFEAT_FUSED_BLOCK_STUDY"] == "1"))
struct FusedBlockTimingStudy {
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static var configs: [(alpha: Double, size: Int, batch: Int)] {
        let text = ProcessInfo.processInfo.environment["STUDY_CONFIGS"] ?? "1.0/224/1,1.0/224/8,0.35/96/1,0.35/96/8"
        return text.split(separator: ",").map {
            let p = $0.split(separator: "/")
            return (Double(p[0])!, Int(p[1])!, Int(p[2])!)
        }
    }

    @Test func networks() throws {
        let context = try vulkanContext()
        let rounds = Int(ProcessInfo.processInfo.environment["STUDY_ROUNDS"] ?? "") ?? 3
        print("study: \(context.info.name), \(context.info.driverName) \(context.info.driverInfo); \(ProcessInfo.processInfo.activeProcessorCount) cores; \(rounds) rounds")
        for config in Self.configs {
            let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: config.alpha, inputSize: config.size), seed: 7)
            let input = Tensor(batch: config.batch, height: config.size, width: config.size, channels: 3,
                               data: randomFloats(config.batch * config.size * config.size * 3, seed: 8))
            let modes: [FusedBlockMode] = [.on, .off]
            let engines = try modes.map {
                try VulkanEngine(model: model, context: context, batchSize: config.batch, fusedBlocks: $0)
            }
            for engine in engines { _ = try engine.features(input) }  // warm-up: pipelines
            var wall: [FusedBlockMode: [Double]] = [:], gpu: [FusedBlockMode: [Double]] = [:]
            var stages: [FusedBlockMode: [String: [Double]]] = [:]
            for _ in 0..<rounds {
                for (mode, engine) in zip(modes, engines) {
                    engine.profiling = false
                    let start = Date()
                    _ = try engine.features(input)
                    wall[mode, default: []].append(Date().timeIntervalSince(start))
                    engine.profiling = true
                    _ = try engine.features(input)
                    let profile = try #require(engine.lastProfile)
                    let network = profile.stages.filter { !["upload", "download", "preprocess", "start"].contains($0.name) }
                    gpu[mode, default: []].append(network.reduce(0) { $0 + $1.milliseconds })
                    for stage in network { stages[mode, default: [:]][stage.name, default: []].append(stage.milliseconds) }
                }
            }
            let label = "alpha \(config.alpha) / \(config.size), batch \(config.batch)"
            let on = Self.median(wall[.on]!), off = Self.median(wall[.off]!)
            let gpuOn = Self.median(gpu[.on]!), gpuOff = Self.median(gpu[.off]!)
            print(String(format: "study: %@: wall fused %.1f img/s, per-layer %.1f img/s (%.2f×); GPU network ms fused %.1f, per-layer %.1f (%.2f×)",
                         label, Double(config.batch) / on, Double(config.batch) / off, off / on, gpuOn, gpuOff, gpuOff / gpuOn))
            for (block, launch) in zip(model.blocks, FusedBlockLaunch.planForStudy(model, context.info)) {
                let fused = stages[.on]?[block.name].map(Self.median) ?? .nan
                let layered = ([block.expand].compactMap { $0 } + [block.depthwise, block.project])
                    .reduce(0.0) { $0 + (stages[.off]?[$1.name].map(Self.median) ?? .nan) }
                print(String(format: "study: %@ %@: fused %.2f ms, per-layer %.2f ms (%.2f×) [%@]", label, block.name, fused, layered,
                             layered / fused, launch.map(\.description) ?? "not fused"))
            }
        }
    }
}

extension FusedBlockTimingStudy {
    /// The launches a 48 KB GPU with 32-wide subgroups and this device get at alpha 1.0 / 224 (docs/VULKAN.md
    /// quotes them).
    @Test func gpuLaunches() throws {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 1.0, inputSize: 224), seed: 7)
        let info = try vulkanContext().info
        let gpu = model.blocks.map { _ in FusedBlockNetworkTests.gpuLike }
        var size = model.stem.outputSize(inputSize: 224)
        for (block, device) in zip(zip(model.blocks, gpu), FusedBlockLaunch.planForStudy(model, info)) {
            let launch = FusedBlockLaunch.choose(FusedBlockLaunch.Shape(block.0, height: size, width: size), limits: block.1)
            print("study: alpha 1.0 / 224 \(block.0.name) (\(size)x\(size)): 48 KB GPU \(launch.map(\.description) ?? "not fused"); \(info.name) \(device.map(\.description) ?? "not fused")")
            size = block.0.depthwise.outputSize(inputSize: size)
        }
    }
}

extension FusedBlockLaunch {
    /// Each block's launch on `info`, as `fusedBlocks: .on` chooses it.
    static func planForStudy(_ model: FoldedMobileNetV2, _ info: DeviceInfo) -> [FusedBlockLaunch?] {
        var size = model.stem.outputSize(inputSize: model.config.inputSize)
        return model.blocks.map { block in
            defer { size = block.depthwise.outputSize(inputSize: size) }
            return choose(Shape(block, height: size, width: size), limits: Limits(info), targetThreads: targetThreads(info.kind, Limits(info)))
        }
    }
}
