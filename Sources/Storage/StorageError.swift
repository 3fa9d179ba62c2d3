/// A failure to list or read an input, described in one line that names the object and the cause.
/// Both parts pass through `Redaction`, so no key, token or signature can reach a log or a table.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var object: String
    public var reason: String
    /// Whether the whole run should stop (bad credentials, missing input folder), not just this object.
    public var isFatal: Bool
    /// Which of the failures a setting gets past this is, if one: the reason says what happened and what
    /// to set in the environment, and names no command-line option (the caller's, as Pipeline's
    /// `--no-sign-request` and `--region`).
    public var kind: Kind?

    /// The failures a `StorageConfig` setting gets past.
    public enum Kind: Sendable, Equatable {
        /// No credentials anywhere; a public bucket is still read with `anonymous` (unsigned) requests.
        case noCredentials
        /// An unsigned (`anonymous`) request was refused: the bucket wants credentials.
        case anonymousRefused
        /// The bucket is in another region than the one requests were signed for (`region`); S3 names it
        /// in `bucketRegion` when it can.
        case wrongRegion(bucketRegion: String?)
    }

    public init(_ object: String, _ reason: String, fatal: Bool = false, kind: Kind? = nil) {
        self.object = Redaction.scrub(Redaction.stripQuery(object))
        self.reason = Redaction.scrub(reason.replacingOccurrences(of: "\n", with: " "))
        self.isFatal = fatal
        self.kind = kind
    }

    public var description: String { "\(object): \(reason)" }
}
