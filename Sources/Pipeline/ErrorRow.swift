/// One input that could not be used: its path, the stage that failed, and why.
public struct ErrorRow: Codable, Sendable, Equatable {
    public var path: String
    /// `read`, `fetch`, `decode` or `featurize`.
    public var stage: String
    public var message: String

    public init(path: String, stage: String, message: String) {
        self.path = path
        self.stage = stage
        self.message = message
    }
}
