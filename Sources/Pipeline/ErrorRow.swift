/// One input that could not be used: its path, its label (as the feature tables have it), the stage
/// that failed, and why.
public struct ErrorRow: Codable, Sendable, Equatable {
    public var path: String
    /// The parent folder's name, as in the feature tables.
    public var label: String
    /// `read`, `fetch`, `decode` or `featurize`.
    public var stage: String
    public var message: String

    public init(path: String, label: String, stage: String, message: String) {
        self.path = path
        self.label = label
        self.stage = stage
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case path, label, stage, message }

    /// Side files of parts committed before the label was recorded have none: it is empty there.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        label = try c.decodeIfPresent(String.self, forKey: .label) ?? ""
        stage = try c.decode(String.self, forKey: .stage)
        message = try c.decode(String.self, forKey: .message)
    }
}
