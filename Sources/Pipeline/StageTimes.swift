/// Seconds spent in each stage of a run (decode is summed over batches, not threads).
public struct StageTimes: Codable, Sendable {
    public var listing = 0.0
    public var decode = 0.0
    public var device = 0.0
    public var write = 0.0
    public var resumeScan = 0.0
    public var pca = 0.0
    public var total = 0.0
}
