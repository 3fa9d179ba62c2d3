import Foundation
import Model

/// One `imgfeat bench` run in machine-readable form (`--json FILE`), read by bench/vulkan_bench.py.
public struct BenchmarkRecord: Codable, Sendable {
    /// GPU timestamps of one profiled Vulkan run, summed over its submissions.
    public struct Profile: Codable, Sendable {
        public struct Stage: Codable, Sendable {
            public var name: String
            public var milliseconds: Double
            public var gflopsPerSecond: Double?
        }
        public var images: Int
        public var batches: Int
        public var uploadMilliseconds: Double
        public var preprocessMilliseconds: Double
        public var networkMilliseconds: Double
        public var downloadMilliseconds: Double
        public var networkGFLOPs: Double
        public var wallSeconds: Double
        public var stages: [Stage]

        init(_ profile: VulkanProfile) {
            func sum(_ name: String) -> Double { profile.stages.filter { $0.name == name }.reduce(0) { $0 + $1.milliseconds } }
            images = profile.images
            batches = profile.batches
            uploadMilliseconds = sum("upload")
            preprocessMilliseconds = profile.preprocessMilliseconds
            networkMilliseconds = profile.networkMilliseconds
            downloadMilliseconds = sum("download")
            networkGFLOPs = profile.networkGFLOPs
            wallSeconds = profile.wallSeconds
            stages = profile.stages.map { Stage(name: $0.name, milliseconds: $0.milliseconds, gflopsPerSecond: $0.gflopsPerSecond) }
        }
    }

    /// One engine's measurements.
    public struct Engine: Codable, Sendable {
        public var name: String
        /// Vulkan only: the device's type as Vulkan reports it ("discrete GPU", "CPU", …) and its driver.
        public var deviceKind: String?
        public var driver: String?
        public var precision: String
        /// Images per `features` call; `submissionBatch` is what one Vulkan submission holds (it may be capped).
        public var batch: Int
        public var submissionBatch: Int?
        /// Wall seconds of each timed network-only call (preprocessed tensor in, features out).
        public var networkSeconds: [Double]
        /// Largest |engine − reference| over the largest |reference|; nil when the reference was skipped.
        public var agreement: Double?
        /// Vulkan only: wall seconds of each timed call with decoded uint8 pixels in (resize on the device).
        public var pixelsInSeconds: [Double]?
        public var networkProfile: Profile?
        public var pixelsInProfile: Profile?
        /// Vulkan only: wall seconds of the same pixels cut into submission-sized batches, each waited for
        /// before the next (one batch in flight) and streamed through `submit` (up to three in flight).
        public var oneInFlightSeconds: [Double]?
        public var streamedSeconds: [Double]?
        /// Vulkan only: the fast paths the engine ran and its self-check's result.
        public var fastPaths: [String]?
        public var selfCheck: String?
        /// Vulkan only: the per-block timings fused and layer by layer the engine measured (or read from its
        /// cache) to choose which blocks to fuse; nil where it did not measure.
        public var fusedBlockTuning: VulkanLaunchTuningRecord?
    }

    public var images: Int
    public var alpha: Double
    public var size: Int
    public var weights: String
    public var threads: Int
    public var decodeSeconds: [Double]
    public var referenceImages: Int
    public var engines: [Engine] = []

    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
