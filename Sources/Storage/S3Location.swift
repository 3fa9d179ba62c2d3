/// A bucket and key named by an `s3://` or `s3a://` URI.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public var bucket: String
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// Parses `s3://bucket/key` or `s3a://bucket/key` (the scheme in any case).
    public init(parsing uri: String) throws {
        guard let rest = Self.dropScheme(uri) else {
            throw StorageError(uri, "not an s3:// or s3a:// URI")
        }
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bucket = parts.first, !bucket.isEmpty else {
            throw StorageError(uri, "no bucket name in the URI")
        }
        self.init(bucket: String(bucket), key: parts.count > 1 ? String(parts[1]) : "")
    }

    /// Whether `text` is an S3 URI.
    public static func isS3(_ text: String) -> Bool { dropScheme(text) != nil }

    public var description: String { "s3://\(bucket)/\(key)" }

    /// This location with `component` appended as a child key (a `/` added between when missing).
    public func appending(_ component: String) -> S3Location {
        let sep = key.isEmpty || key.hasSuffix("/") ? "" : "/"
        return S3Location(bucket: bucket, key: key + sep + component)
    }

    static func dropScheme(_ text: String) -> Substring? {
        for scheme in ["s3://", "s3a://"] where text.lowercased().hasPrefix(scheme) {
            return text.dropFirst(scheme.count)
        }
        return nil
    }
}

/// One listed object.
public struct S3ObjectInfo: Sendable, Hashable {
    public var key: String
    public var size: Int
}
