import Foundation

/// Downloads a file (such as the official Keras weights) into a cache: to a temporary name beside
/// the destination, checked for size, then renamed, so a cut download never looks complete.
public struct Downloader: Sendable {
    public var config: StorageConfig

    public init(config: StorageConfig = .fromEnvironment()) {
        self.config = config
    }

    /// Fetches `url` (http, https, or s3) to `destination`, creating its folder. When `expectedSize`
    /// is given, or the server sent a Content-Length, a file of any other size is an error.
    public func download(url: String, to destination: String, expectedSize: Int? = nil) throws {
        let folder = (destination as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StorageError(folder, "cannot create the cache folder (\(error.localizedDescription))")
            }
        }
        let temporary = "\(destination).download-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        var settings = config
        // Weights files are tens of megabytes; give them time, but not forever.
        settings.requestTimeout = max(settings.requestTimeout, 600)
        let engine = CurlEngine(settings)
        let job: HTTPJob
        if S3Location.isS3(url) {
            let location = try S3Location(parsing: url)
            let client = try S3Client(config: settings, engine: engine)
            let base = client.job(method: "GET", bucket: location.bucket, key: location.key, name: url)
            job = HTTPJob(name: url) {
                var request = try base.make()
                request.bodyFile = temporary
                return request
            }
        } else {
            job = .fixed(HTTPRequest(url: url, bodyFile: temporary))
        }
        let response = try engine.perform(job, followRedirects: true).get()
        let size = (try? S3Client.fileSize(temporary)) ?? -1
        let name = Redaction.stripQuery(url)
        if let announced = response.headers["content-length"].flatMap({ Int($0) }), announced != size {
            throw StorageError(name, "download cut short: \(size) of \(announced) bytes")
        }
        if let expectedSize, expectedSize != size {
            throw StorageError(name, "downloaded \(size) bytes, expected \(expectedSize)")
        }
        guard size > 0 else { throw StorageError(name, "downloaded an empty file") }
        // rename(2) replaces the destination atomically: readers see the old file or the new one.
        guard rename(temporary, destination) == 0 else {
            throw StorageError(destination, "cannot move the download into place (\(String(cString: strerror(errno))))")
        }
    }
}

/// Downloads `url` to `destination` with the environment's storage settings (see `Downloader`).
public func download(url: String, to destination: String, expectedSize: Int? = nil) throws {
    try Downloader().download(url: url, to: destination, expectedSize: expectedSize)
}
