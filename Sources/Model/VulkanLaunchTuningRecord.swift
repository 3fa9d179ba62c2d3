import Foundation

/// What the launch tuning measured on one device for one model shape, precision, head mode and batch: each
/// block's timings fused (both launches), layer by layer, and its per-layer parts in each other GEMM variant
/// and depthwise column count, and the decision: the cached record `imgfeat devices` reads back.
public struct VulkanLaunchTuningRecord: Codable, Sendable, Equatable {
    /// One block's measurement.
    public struct Block: Codable, Sendable, Equatable {
        /// Keras prefix ("expanded_conv", "block_1" …), the block's profile label when fused.
        public var name: String
        /// The fused launch timed (`FusedBlockLaunch.description`); nil where the block cannot fuse here.
        public var launch: String?
        /// GPU milliseconds of each timed round fused (empty where it cannot fuse) and as the per-layer sequence.
        public var fusedMilliseconds: [Double]
        public var layeredMilliseconds: [Double]
        /// The decision: runs fused.
        public var fused: Bool
        /// The second fused launch timed (`FusedBlockLaunch.occupancyLaunch`: its description and GPU
        /// milliseconds per timed round); nil where the block has none.
        public var occupancyLaunch: Timing?
        /// Where fused: whether with `occupancyLaunch` rather than `launch`.
        public var runsOccupancyLaunch: Bool
        /// The per-layer default's depthwise stage alone, per timed round (its 1×1 GEMMs: the rest of `layeredMilliseconds`).
        public var layeredDepthwiseMilliseconds: [Double]
        /// Per-layer with each alternative GEMM variant: its name (`PointwiseConv.Vulkan.Variant.description`)
        /// and the block's 1×1 GEMMs (expand + project stages) in GPU milliseconds per timed round.
        public var alternatives: [Timing]
        /// Per-layer with each alternative depthwise column count: its name
        /// (`DepthwiseConv.Vulkan.columnsDescription`) and the depthwise stage per timed round.
        public var depthwiseAlternatives: [Timing]
        /// Where it runs per-layer: the alternative GEMM variant chosen (its name); nil: fused or the default.
        public var pointwise: String?
        /// Where it runs per-layer: the alternative depthwise column count chosen (its name); nil: the default.
        public var depthwise: String?

        /// How the block runs: "fused", "fused, <second launch>", "per-layer" (the default kernels), or
        /// "per-layer, 1x1 <variant>, depthwise <columns>" (the parts not at their default).
        public var choice: String {
            if fused { return runsOccupancyLaunch ? "fused, \(occupancyLaunch?.name ?? "second launch")" : "fused" }
            return (["per-layer"] + [pointwise.map { "1x1 \($0)" }, depthwise.map { "depthwise \($0)" }].compactMap { $0 })
                .joined(separator: ", ")
        }
        /// The per-layer default's 1×1 GEMMs per timed round (per-layer minus depthwise).
        public var layeredGEMMMilliseconds: [Double] { zip(layeredMilliseconds, layeredDepthwiseMilliseconds).map { $0 - $1 } }

        public var fusedMedian: Double? { VulkanLaunchTuning.median(fusedMilliseconds) }
        public var layeredMedian: Double? { VulkanLaunchTuning.median(layeredMilliseconds) }
    }

    /// One way's GPU milliseconds per timed round.
    public struct Timing: Codable, Sendable, Equatable {
        public var name: String
        public var milliseconds: [Double]
        public var median: Double? { VulkanLaunchTuning.median(milliseconds) }
        public init(name: String, milliseconds: [Double]) {
            self.name = name
            self.milliseconds = milliseconds
        }
    }

    /// The device, driver, imgfeat version and model shape it was measured on.
    public var subject: VulkanCacheSubject
    /// Images per timed submission (the engine's batch).
    public var batch: Int
    /// The other fast paths in use while timing (cooperative matrices, float16 arithmetic change the per-layer kernels).
    public var otherFastPaths: [String]
    /// The 1×1 convolutions' default GEMM variant on this device, the per-layer timing's.
    public var defaultPointwise: String
    /// The depthwise layers' default column count on this device, the per-layer timing's.
    public var defaultDepthwise: String
    public var margin: Double
    public var rounds: Int
    public var blocks: [Block]
    /// When it was measured, ISO 8601 UTC, and the host seconds the timing runs took.
    public var measuredAt: String
    public var seconds: Double

    /// Blocks that run fused.
    public var fusedCount: Int { blocks.filter(\.fused).count }
    /// Blocks that run per-layer with another GEMM variant or depthwise column count.
    public var variantCount: Int { blocks.filter { $0.pointwise != nil || $0.depthwise != nil }.count }

    /// "fused blocks: 11 of 17, measured 2026-12-01T18:00:00Z", and how many run other kernel variants where any does.
    public var line: String {
        "fused blocks: \(fusedCount) of \(blocks.count)"
            + (variantCount > 0 ? ", other kernel variants: \(variantCount)" : "") + ", measured \(measuredAt)"
    }

    /// A title, then one line per block: its median times each way and the decision (for `imgfeat bench`).
    public var report: [String] {
        let margin = String(format: "%.0f %%", self.margin * 100)
        let title = "fused-block tuning on \(subject.device), batch \(batch) (\(subject.precision), medians of \(rounds) after a warm-up, "
            + "fused when faster by more than \(margin)): \(fusedCount) of \(blocks.count) fused"
        var lines = [title]
        if blocks.contains(where: { $0.occupancyLaunch != nil }) {
            lines.append("fused smaller: each block's second fused launch, chosen within 1/\(FusedBlockLaunch.occupancyGroups) "
                         + "of the shared memory; \(blocks.filter(\.runsOccupancyLaunch).count) of \(blocks.count) run it")
        }
        let gemm = blocks.first?.alternatives.map(\.name) ?? [], columns = blocks.first?.depthwiseAlternatives.map(\.name) ?? []
        if !gemm.isEmpty || !columns.isEmpty {
            lines.append("per-layer parts, the default's and each variant's (v: 1x1 GEMMs against \(defaultPointwise); d: depthwise "
                         + "against \(defaultDepthwise)): "
                         + (gemm.enumerated().map { "v\($0.offset + 1) \($0.element)" } + columns.enumerated().map { "d\($0.offset + 1) \($0.element)" })
                             .joined(separator: "; ")
                         + "; \(variantCount) of \(blocks.count) with another variant")
        }
        return lines + blocks.map(Self.line)
    }

    private static func line(_ block: Block) -> String {
        let name = block.name.padding(toLength: 14, withPad: " ", startingAt: 0)
        var text = "  \(name)"
        if let fused = block.fusedMedian {
            text += String(format: " fused %9.3f ms", fused)
        } else {
            text += " cannot fuse     "
        }
        if let second = block.occupancyLaunch?.median { text += String(format: ", fused smaller %9.3f ms", second) }
        if let layered = block.layeredMedian {
            text += String(format: ", per-layer %9.3f ms", layered)
            if let fused = block.fusedMedian, fused > 0 { text += String(format: " (per-layer / fused %.2f)", layered / fused) }
        }
        if !block.alternatives.isEmpty || !block.depthwiseAlternatives.isEmpty {
            if let gemm = VulkanLaunchTuning.median(block.layeredGEMMMilliseconds) { text += String(format: "; 1x1 %.3f", gemm) }
            for (index, alternative) in block.alternatives.enumerated() {
                if let median = alternative.median { text += String(format: ", v%d %.3f", index + 1, median) }
            }
            if let dw = VulkanLaunchTuning.median(block.layeredDepthwiseMilliseconds) { text += String(format: "; depthwise %.3f", dw) }
            for (index, alternative) in block.depthwiseAlternatives.enumerated() {
                if let median = alternative.median { text += String(format: ", d%d %.3f", index + 1, median) }
            }
        }
        return text + " -> " + block.choice
    }
}
