/// A failure to list or read an input, described in one line that names the object and the cause.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var object: String
    public var reason: String
    /// Whether the whole run should stop (bad credentials, missing input folder), not just this object.
    public var isFatal: Bool

    public init(_ object: String, _ reason: String, fatal: Bool = false) {
        self.object = object
        self.reason = reason
        self.isFatal = fatal
    }

    public var description: String { "\(object): \(reason)" }
}
