import Model
import PCA

/// What the featurization stage produced.
public struct FeaturizeOutcome: Sendable {
    public var layout: OutputLayout
    public var model: FoldedMobileNetV2
    public var deviceName: String
    /// What `--device auto` chose and why.
    public var deviceChoice: String?
    /// Images listed for this shard.
    public var listed: Int
    /// Lines of an `@FILE` list that repeated an earlier one: kept once.
    public var duplicates: Int
    /// Rows in the feature parts, committed parts of an earlier attempt included.
    public var featurized: Int
    public var errors: [ErrorRow]
    /// Parts written by this process (the rest were already committed).
    public var partsWritten: Int
    public var partsResumed: Int
    /// Inputs in the resumed parts (featurized or unusable there).
    public var imagesResumed: Int
    public var statistics: PCAStatistics
    /// Where this attempt's PCA statistics were gathered: "host" or the Vulkan device's name.
    public var statisticsGatheredOn: String
    public var times: StageTimes
    /// How well the decode kept the device fed, and which one held the other back.
    public var feeding: Feeding?
    /// The Vulkan engine's fast paths and their self-check; nil on the CPU engines.
    public var fastPaths: FastPathReport?
}
