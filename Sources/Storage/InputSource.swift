import Foundation

/// Where the images come from: a local folder, an `@FILE` list, or an object-store prefix.
public enum InputSource: Sendable, Equatable {
    case localDirectory(String)
    case list(String)
    /// `scheme` is the one the user wrote (`s3` or `s3a`), kept in the listed paths so they join with
    /// the tables Spark's S3A filesystem writes.
    case s3(bucket: String, prefix: String, scheme: String = "s3")

    /// Parses the command line's INPUT: `s3://bucket/prefix` (or `s3a://`), `@FILE`, or a folder.
    public init(parsing text: String) throws {
        if text.hasPrefix("@") {
            self = .list(String(text.dropFirst()))
        } else if let (scheme, rest) = Self.dropScheme(text, ["s3", "s3a"]) {
            let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bucket = parts.first, !bucket.isEmpty else {
                throw StorageError(text, "no bucket name in the URI")
            }
            self = .s3(bucket: String(bucket), prefix: parts.count > 1 ? String(parts[1]) : "", scheme: scheme)
        } else {
            self = .localDirectory(text)
        }
    }

    /// The scheme (lowercased) and the rest after `://`, for one of `schemes`.
    private static func dropScheme(_ text: String, _ schemes: [String]) -> (String, String)? {
        for scheme in schemes where text.lowercased().hasPrefix(scheme + "://") {
            return (scheme, String(text.dropFirst(scheme.count + 3)))
        }
        return nil
    }
}
