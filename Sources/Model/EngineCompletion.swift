/// The features of one batch handed to `FeatureEngine.submit`, once they are ready.
public struct EngineCompletion {
    /// The caller's tag for the batch.
    public let tag: Int
    /// N × featureDimension, row-major.
    public let features: [Float]

    public init(tag: Int, features: [Float]) {
        self.tag = tag
        self.features = features
    }
}
