import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// What the launch tuning decides on this device and what it costs at engine creation: engines made with
/// `.auto` (on a CPU driver: per-layer, no timing), `.measure` with no cache (timed now) and `.measure` with
/// a cache holding the decisions, rounds interleaved, medians of creation wall time. A measurement, not a
/// check: it prints and runs only with IMGFEAT_LAUNCH_TUNING_STUDY=1:
/// `IMGFEAT_LAUNCH_TUNING_STUDY=1 swift test -c release --skip-build --filter LaunchTuningStudy 2>&1 | grep study:`
/// (STUDY_ROUNDS, 3 by default; STUDY_CONFIGS, e.g. "0.35/96/2,1.0/224/1"). Its own context without
/// validation (the layer's checks would be timed too); the SPIR-V cache is the user's, warm after the first round.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["IMGFEAT_LAUNCH_TUNING_STUDY"] == "1"))
struct LaunchTuningStudy {
    @Test func creationCostAndDecisions() throws {
        let environment = ProcessInfo.processInfo.environment
        let rounds = Int(environment["STUDY_ROUNDS"] ?? "") ?? 3
        let configs = (environment["STUDY_CONFIGS"] ?? "0.35/96/2,0.35/96/16,1.0/224/1").split(separator: ",").map {
            let p = $0.split(separator: "/")
            return (alpha: Double(p[0])!, size: Int(p[1])!, batch: Int(p[2])!)
        }
        let context = try VulkanContext(options: VulkanOptions(validation: false))
        print("study: \(context.info.name), \(context.info.driverName) \(context.info.driverInfo); "
              + "\(ProcessInfo.processInfo.activeProcessorCount) cores; \(rounds) rounds")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("imgfeat-tuning-study-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for config in configs {
            let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: config.alpha, inputSize: config.size), seed: 7)
            func make(_ mode: FusedBlockMode, cache: URL?) throws -> (seconds: Double, engine: VulkanEngine) {
                let start = Date()
                let engine = try VulkanEngine(model: model, context: context, batchSize: config.batch, fusedBlocks: mode,
                                              launchTuning: VulkanLaunchTuning(cache: cache, softwareVersion: "study"))
                return (Date().timeIntervalSince(start), engine)
            }
            _ = try make(.measure, cache: folder)  // fills the cache (and the SPIR-V cache) for the cached case
            var times: [String: [Double]] = [:]
            var records: [VulkanLaunchTuningRecord] = []
            for _ in 0..<rounds {
                times["auto", default: []].append(try make(.auto, cache: nil).seconds)
                let measured = try make(.measure, cache: nil)
                times["measure", default: []].append(measured.seconds)
                if let record = measured.engine.launchTuning { records.append(record) }
                let cached = try make(.measure, cache: folder)
                #expect(cached.engine.launchTimingRuns == 0)
                times["cached", default: []].append(cached.seconds)
            }
            let median = { (key: String) in VulkanLaunchTuning.median(times[key] ?? []) ?? .nan }
            let label = "alpha \(config.alpha) / \(config.size), batch \(config.batch)"
            print(String(format: "study: %@: engine creation (median of %d) auto %.2f s, measure %.2f s (%.1fx), measure from the cache %.2f s",
                         label, rounds, median("auto"), median("measure"), median("measure") / median("auto"), median("cached")))
            for (round, record) in records.enumerated() {
                let fused = record.blocks.filter(\.fused).map(\.name)
                let ratios = record.blocks.compactMap { block in
                    block.fusedMedian.flatMap { f in block.layeredMedian.map { String(format: "%.2f", $0 / f) } }
                }
                print("study: \(label) round \(round + 1): \(record.fusedCount) of \(record.blocks.count) fused "
                      + "(\(fused.isEmpty ? "none" : fused.joined(separator: ", "))); per-layer / fused per block "
                      + ratios.joined(separator: " ") + String(format: "; timing %.2f s", record.seconds))
            }
        }
    }
}
