import Common
import Foundation

/// Writes results to an object store: whole folders, `_SUCCESS` last, as Spark does.
public final class ObjectStore: @unchecked Sendable {
    public let client: S3Client

    public init(config: StorageConfig) throws {
        client = try S3Client(config: config)
    }

    /// Uploads every file under `localFolder` to the `s3://` prefix `uri`, keeping relative paths.
    /// Small files go `concurrency` at a time, large ones in parts; `_SUCCESS` (written empty when
    /// the folder has none) goes last, only after everything else has succeeded. Returns the count.
    @discardableResult
    public func upload(localFolder: String, to uri: String) throws -> Int {
        let base = try S3Location(parsing: uri)
        let root = URL(fileURLWithPath: localFolder).standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw StorageError(localFolder, "cannot read the folder", fatal: true)
        }
        var small: [(String, S3Location)] = []
        var large: [(String, S3Location)] = []
        var success: String?
        for case let relative as String in walker {
            let path = root + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            if relative == "_SUCCESS" { success = path; continue }
            let target = base.appending(relative)
            if try S3Client.fileSize(path) < client.config.multipartThreshold {
                small.append((path, target))
            } else {
                large.append((path, target))
            }
        }
        small.sort { $0.0 < $1.0 }
        let jobs = small.map { path, target in
            HTTPJob(name: target.description) { [client] in
                let body = try S3Client.readRange(path, offset: 0, count: try S3Client.fileSize(path))
                return try client.request(method: "PUT", bucket: target.bucket, key: target.key, query: [], body: body,
                                          payloadHash: SHA256.hexHash(body), contentType: nil,
                                          name: target.description)
            }
        }
        for result in client.engine.perform(jobs) { _ = try result.get() }
        for (path, target) in large { try client.uploadFile(path, to: target) }
        let marker = try success.map { try S3Client.readRange($0, offset: 0, count: try S3Client.fileSize($0)) } ?? []
        try client.put(marker, to: base.appending("_SUCCESS"))
        return small.count + large.count + 1
    }

    /// Deletes the objects under the `s3://` prefix `uri` (taken as a folder) whose key relative to
    /// it passes `selected`; returns how many. `_SUCCESS` goes first, so a half-cleared output never
    /// looks finished.
    @discardableResult
    public func delete(under uri: String, where selected: (String) -> Bool) throws -> Int {
        let base = try S3Location(parsing: uri)
        let prefix = base.key.isEmpty || base.key.hasSuffix("/") ? base.key : base.key + "/"
        let keys = try client.list(bucket: base.bucket, prefix: prefix).map(\.key)
            .filter { selected(String($0.dropFirst(prefix.count))) }
            .sorted { ($0.hasSuffix("/_SUCCESS") ? 0 : 1, $0) < ($1.hasSuffix("/_SUCCESS") ? 0 : 1, $1) }
        let jobs = keys.map { key in
            client.job(method: "DELETE", bucket: base.bucket, key: key, name: "s3://\(base.bucket)/\(key)")
        }
        for job in jobs.prefix(1) { _ = try client.engine.perform(job).get() }
        for result in client.engine.perform(Array(jobs.dropFirst())) { _ = try result.get() }
        return keys.count
    }

    /// Stores `bytes` at the `s3://` URI `uri`.
    public func put(_ bytes: [UInt8], to uri: String) throws {
        try client.put(bytes, to: try S3Location(parsing: uri))
    }
}
