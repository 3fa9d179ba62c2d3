import Foundation

/// What the launch tuning measured on one device for one model shape, precision, head mode and batch: each
/// block's timings fused and layer by layer and the decision, the cached record `imgfeat devices` reads back.
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

        public var fusedMedian: Double? { VulkanLaunchTuning.median(fusedMilliseconds) }
        public var layeredMedian: Double? { VulkanLaunchTuning.median(layeredMilliseconds) }
    }

    public var device: String
    public var vendorID: UInt32
    public var deviceID: UInt32
    /// Driver name and info, as `imgfeat devices` prints them.
    public var driver: String
    public var driverVersion: UInt32
    public var imgfeatVersion: String
    public var alpha: Double
    public var inputSize: Int
    public var precision: String
    public var headPool: String
    /// Images per timed submission (the engine's batch).
    public var batch: Int
    /// The other fast paths in use while timing (cooperative matrices, float16 arithmetic change the per-layer kernels).
    public var otherFastPaths: [String]
    public var margin: Double
    public var rounds: Int
    public var blocks: [Block]
    /// When it was measured, ISO 8601 UTC, and the host seconds the timing runs took.
    public var measuredAt: String
    public var seconds: Double

    /// Blocks that run fused.
    public var fusedCount: Int { blocks.filter(\.fused).count }

    /// "fused blocks: 11 of 17, measured 2026-12-01T18:00:00Z".
    public var line: String { "fused blocks: \(fusedCount) of \(blocks.count), measured \(measuredAt)" }

    /// One line per block: its median times both ways and the decision (for `imgfeat bench`).
    public var report: [String] {
        let margin = String(format: "%.0f %%", self.margin * 100)
        let title = "fused-block tuning on \(device), batch \(batch) (\(precision), medians of \(rounds) after a warm-up, "
            + "fused when faster by more than \(margin)): \(fusedCount) of \(blocks.count) fused"
        return [title] + blocks.map(Self.line)
    }

    private static func line(_ block: Block) -> String {
        let name = block.name.padding(toLength: 14, withPad: " ", startingAt: 0)
        var text = "  \(name)"
        if let fused = block.fusedMedian {
            text += String(format: " fused %9.3f ms", fused)
        } else {
            text += " cannot fuse     "
        }
        if let layered = block.layeredMedian {
            text += String(format: ", per-layer %9.3f ms", layered)
            if let fused = block.fusedMedian, fused > 0 { text += String(format: " (per-layer / fused %.2f)", layered / fused) }
        }
        return text + " -> " + (block.fused ? "fused" : "per-layer")
    }
}
