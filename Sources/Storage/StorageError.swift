/// A failure to list or read an input, described in one line that names the object and the cause.
/// Both parts pass through `Redaction`, so no key, token or signature can reach a log or a table.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var object: String
    public var reason: String
    /// Whether the whole run should stop (bad credentials, missing input folder), not just this object.
    public var isFatal: Bool

    public init(_ object: String, _ reason: String, fatal: Bool = false) {
        self.object = Redaction.scrub(Redaction.stripQuery(object))
        self.reason = Redaction.scrub(reason.replacingOccurrences(of: "\n", with: " "))
        self.isFatal = fatal
    }

    public var description: String { "\(object): \(reason)" }
}
