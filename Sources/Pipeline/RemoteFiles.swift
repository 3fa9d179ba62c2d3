import Foundation
import Storage

/// Local copies of the `s3://` files that `pca fit` and `pca transform` read (statistics files,
/// models, feature tables), fetched into one temporary folder that `cleanUp()` removes. Local paths
/// pass through unchanged.
final class RemoteFiles {
    let storage: StorageConfig
    private let folder: URL
    private var copies = 0

    init(storage: StorageConfig) {
        self.storage = storage
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("imgfeat-inputs-\(UUID().uuidString.lowercased())")
    }

    /// A local path holding the file `path` (an `s3://` object is downloaded whole).
    func file(_ path: String) throws -> String {
        guard S3Location.isS3(path) else { return path }
        let location = try S3Location(parsing: path)
        let name = location.key.split(separator: "/").last.map(String.init) ?? "object"
        let target = try newFolder().appendingPathComponent(name)
        try download(location, to: target)
        return target.path
    }

    /// A local path holding the Parquet table `path`: an `s3://` object, or the data parts directly
    /// under an `s3://` prefix (not `_`/`.` names, as ParquetDataset reads a folder).
    func table(_ path: String) throws -> String {
        guard S3Location.isS3(path) else { return path }
        let location = try S3Location(parsing: path)
        let key = location.key.hasSuffix("/") ? String(location.key.dropLast()) : location.key
        let objects = try S3Client(config: storage).listFolder(bucket: location.bucket, path: key)
        if objects.count == 1, objects[0].key == key { return try file(path) }
        let base = key.isEmpty ? "" : key + "/"
        let parts = objects.map { String($0.key.dropFirst(base.count)) }
            .filter { !$0.contains("/") && !$0.hasPrefix("_") && !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".parquet") }
        guard !parts.isEmpty else { throw PipelineError("\(path): no Parquet part files under this prefix") }
        let target = try newFolder()
        for name in parts {
            try download(S3Location(bucket: location.bucket, key: base + name), to: target.appendingPathComponent(name))
        }
        return target.path
    }

    /// Stores the local file `local` at `path` when that is an `s3://` URI.
    func publish(_ local: String, to path: String) throws {
        guard S3Location.isS3(path) else { return }
        let bytes = try ObjectReader.readLocal(local)
        do {
            try ObjectStore(config: storage).put(bytes, to: path)
        } catch {
            throw PipelineError("\(path): cannot store it (\(PipelineError.line(for: error)))")
        }
    }

    /// Where to write a file destined for `path`: a temporary file for an `s3://` URI, else `path`.
    func output(_ path: String) throws -> String {
        guard S3Location.isS3(path) else { return path }
        let name = path.split(separator: "/").last.map(String.init) ?? "object"
        return try newFolder().appendingPathComponent(name).path
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: folder)
    }

    private func newFolder() throws -> URL {
        copies += 1
        let url = folder.appendingPathComponent(String(copies))
        try createDirectory(url)
        return url
    }

    private func download(_ location: S3Location, to target: URL) throws {
        do {
            try Downloader(config: storage).download(url: location.description, to: target.path)
        } catch {
            throw PipelineError("\(location): cannot read it (\(PipelineError.line(for: error)))")
        }
    }
}
