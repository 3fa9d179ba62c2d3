import Foundation

/// Fetches batches of inputs — local paths, `s3://`/`s3a://` objects, `http(s)://` URLs — keeping
/// up to `concurrency` requests in flight and reusing connections from one batch to the next.
/// Safe to call from several threads: each concurrent call gets its own engine (and connections).
public final class ObjectFetcher: @unchecked Sendable {
    public let config: StorageConfig
    private let lock = NSLock()
    private var idleEngines: [CurlEngine] = []
    private var s3: Result<S3Client, StorageError>?

    public init(_ config: StorageConfig) {
        self.config = config
    }

    private func takeEngine() -> CurlEngine {
        lock.lock(); defer { lock.unlock() }
        return idleEngines.popLast() ?? CurlEngine(config)
    }

    private func giveBack(_ engine: CurlEngine) {
        lock.lock(); defer { lock.unlock() }
        idleEngines.append(engine)
    }

    /// The bytes of each path, in order; a failure is that path's error (fatal ones, such as refused
    /// credentials, are marked `isFatal` and stop the rest of the batch).
    public func fetch(_ paths: [String]) -> [Result<[UInt8], StorageError>] {
        var results = [Result<[UInt8], StorageError>?](repeating: nil, count: paths.count)
        var s3Indices: [Int] = [], s3Locations: [S3Location] = []
        var httpIndices: [Int] = [], httpJobs: [HTTPJob] = []
        for (i, path) in paths.enumerated() {
            if S3Location.isS3(path) {
                do {
                    s3Locations.append(try S3Location(parsing: path))
                    s3Indices.append(i)
                } catch let error as StorageError {
                    results[i] = .failure(error)
                } catch {
                    results[i] = .failure(StorageError(path, "\(error)"))
                }
            } else if Self.isHTTP(path) {
                httpIndices.append(i)
                httpJobs.append(.fixed(HTTPRequest(url: path)))
            } else {
                results[i] = Result { try ObjectReader.readLocal(path) }.mapError {
                    $0 as? StorageError ?? StorageError(path, "\($0)")
                }
            }
        }
        guard !s3Locations.isEmpty || !httpJobs.isEmpty else {
            return results.enumerated().map { i, r in r ?? .failure(StorageError(paths[i], "not fetched")) }
        }
        let engine = takeEngine()
        defer { giveBack(engine) }
        if !s3Locations.isEmpty {
            switch client() {
            case .success(let client):
                for (i, r) in zip(s3Indices, client.get(s3Locations, using: engine)) { results[i] = r }
            case .failure(let error):
                for i in s3Indices { results[i] = .failure(error) }
            }
        }
        if !httpJobs.isEmpty {
            for (i, r) in zip(httpIndices, engine.perform(httpJobs, followRedirects: true)) {
                results[i] = r.map(\.body)
            }
        }
        return results.enumerated().map { i, r in r ?? .failure(StorageError(paths[i], "not fetched")) }
    }

    /// The bytes of one path.
    public func fetch(_ path: String) throws -> [UInt8] {
        try fetch([path])[0].get()
    }

    static func isHTTP(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    private func client() -> Result<S3Client, StorageError> {
        lock.lock(); defer { lock.unlock() }
        if let s3 { return s3 }
        let made = Result { try S3Client(config: config) }.mapError {
            $0 as? StorageError ?? StorageError("S3", "\($0)", fatal: true)
        }
        s3 = made
        return made
    }
}
