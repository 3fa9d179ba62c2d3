import Foundation

/// GPU timings of the Vulkan engine's last run, from timestamp queries (summed over its batches).
public struct VulkanProfile: Sendable {
    /// One timed stage: a layer (Keras name), "upload", "preprocess", "download", and either "Conv_1 + pool"
    /// (the head fused with the pool, `head_pool.comp`) or the head layer then "pool".
    public struct Stage: Sendable {
        public let name: String
        public var milliseconds: Double
        /// Floating-point operations the stage performs (0 for copies).
        public var flops: Double
        /// Achieved GFLOP/s, nil for stages without arithmetic.
        public var gflopsPerSecond: Double? { flops > 0 && milliseconds > 0 ? flops / milliseconds / 1e6 : nil }
    }

    public let device: String
    public let precision: VulkanPrecision
    public var images: Int = 0
    public var batches: Int = 0
    /// Stages in execution order.
    public var stages: [Stage] = []
    /// Wall-clock seconds of the whole run on the host (packing, submission, waiting, reading back).
    public var wallSeconds: Double = 0
    /// Host seconds packing images into staging memory and recording the submissions.
    public var hostPackSeconds: Double = 0
    /// Host seconds blocked on the device's fences (the device was busy with earlier batches).
    public var hostWaitSeconds: Double = 0
    /// Host seconds copying features out of the readback memory.
    public var hostReadSeconds: Double = 0

    init(device: String, precision: VulkanPrecision) {
        self.device = device
        self.precision = precision
    }

    mutating func add(_ name: String, milliseconds: Double, flops: Double) {
        if let i = stages.firstIndex(where: { $0.name == name }) {
            stages[i].milliseconds += milliseconds
            stages[i].flops += flops
        } else {
            stages.append(Stage(name: name, milliseconds: milliseconds, flops: flops))
        }
    }

    /// Adds one submission's timestamps (`CommandSequence.timestamps`): each stage the time since the
    /// previous stamp, with `flopsPerImage[label]` times `images` of arithmetic.
    mutating func add(_ stamps: [(label: String, nanoseconds: Double)], flopsPerImage: [String: Double], images: Int) {
        for (previous, stamp) in zip(stamps, stamps.dropFirst()) {
            add(stamp.label, milliseconds: (stamp.nanoseconds - previous.nanoseconds) / 1e6,
                flops: (flopsPerImage[stamp.label] ?? 0) * Double(images))
        }
    }

    private func milliseconds(where include: (String) -> Bool) -> Double {
        stages.filter { include($0.name) }.reduce(0) { $0 + $1.milliseconds }
    }

    static let transferStages: Set<String> = ["upload", "download"]

    /// GPU milliseconds of host↔device copies.
    public var transferMilliseconds: Double { milliseconds { Self.transferStages.contains($0) } }
    /// GPU milliseconds of the resize and scaling.
    public var preprocessMilliseconds: Double { milliseconds { $0 == "preprocess" } }
    /// GPU milliseconds of the network (every layer and the pool).
    public var networkMilliseconds: Double {
        milliseconds { !Self.transferStages.contains($0) && $0 != "preprocess" }
    }
    /// Images per second a stage alone would sustain.
    public func imagesPerSecond(milliseconds: Double) -> Double {
        milliseconds > 0 ? Double(images) / milliseconds * 1000 : 0
    }
    /// Achieved GFLOP/s over the network stages.
    public var networkGFLOPs: Double {
        let flops = stages.filter { !Self.transferStages.contains($0.name) && $0.name != "preprocess" }
            .reduce(0) { $0 + $1.flops }
        return networkMilliseconds > 0 ? flops / networkMilliseconds / 1e6 : 0
    }

    /// A printable table: one line per stage, then the totals.
    public var report: String {
        var lines = ["\(device), \(precision.rawValue), \(images) images in \(batches) batches"]
        for stage in stages {
            let rate = stage.gflopsPerSecond.map { String(format: "%8.1f GFLOP/s", $0) } ?? ""
            let name = stage.name.count < 28 ? stage.name + String(repeating: " ", count: 28 - stage.name.count) : stage.name
            lines.append("  \(name) " + String(format: "%9.3f ms ", stage.milliseconds) + rate)
        }
        lines.append(String(format: "  preprocess %.1f img/s, network %.1f img/s (%.1f GFLOP/s), transfers %.1f img/s, wall %.1f img/s",
                            imagesPerSecond(milliseconds: preprocessMilliseconds),
                            imagesPerSecond(milliseconds: networkMilliseconds), networkGFLOPs,
                            imagesPerSecond(milliseconds: transferMilliseconds),
                            wallSeconds > 0 ? Double(images) / wallSeconds : 0))
        lines.append(String(format: "  host: pack + record %.1f ms, waiting for the device %.1f ms, read back %.1f ms, of %.1f ms wall",
                            hostPackSeconds * 1000, hostWaitSeconds * 1000, hostReadSeconds * 1000, wallSeconds * 1000))
        return lines.joined(separator: "\n")
    }
}
