import Common
import Foundation

/// Downloads a file (such as the official Keras weights) into a cache: to a temporary name beside
/// the destination, checked for size, then renamed, so a cut download never looks complete.
public struct Downloader: Sendable {
    public var config: StorageConfig

    public init(config: StorageConfig) {
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
        let temporaryURL = AtomicFile.temporaryURL(for: URL(fileURLWithPath: destination))
        let temporary = temporaryURL.path
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
        // Readers see the old file or the new one, never a partial download.
        do {
            try AtomicFile.moveIntoPlace(temporaryURL, to: URL(fileURLWithPath: destination))
        } catch let error as AtomicFileError {
            throw StorageError(destination, error.reason)
        }
    }
}
