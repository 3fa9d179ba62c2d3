import Common
import Foundation

/// S3 (and S3-compatible stores) over libcurl: listing, concurrent GETs, PUTs, multipart uploads,
/// all signed with SigV4 unless anonymous.
public final class S3Client: @unchecked Sendable {
    public let config: StorageConfig
    public let engine: CurlEngine
    public let region: String
    let credentials: CredentialProvider?
    private let endpoint: Endpoint?

    static let emptyHash = SHA256.hexHash([UInt8]())

    /// A client for `config`; credentials are looked up on the first signed request.
    public init(config: StorageConfig, engine: CurlEngine? = nil) throws {
        self.config = config
        self.engine = engine ?? CurlEngine(config)
        region = config.resolvedRegion
        credentials = config.anonymous ? nil : CredentialProvider(config: config)
        endpoint = try config.endpointURL.map(Endpoint.init(parsing:))
    }

    // MARK: listing

    /// Every object under `prefix`, following ListObjectsV2 continuation tokens, in key order.
    public func list(bucket: String, prefix: String, maxKeys: Int = 1000) throws -> [S3ObjectInfo] {
        var objects: [S3ObjectInfo] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
            if let token { query.append(("continuation-token", token)) }
            let name = "s3://\(bucket)/\(prefix)"
            let response = try engine.perform(job(method: "GET", bucket: bucket, key: "", query: query, name: name)).get()
            let text = String(decoding: response.body, as: UTF8.self)
            guard text.contains("ListBucketResult") else {
                throw StorageError(name, "the listing response is not a ListBucketResult")
            }
            for block in XMLScan.blocks(of: "Contents", in: text) {
                guard let key = XMLScan.firstValue(of: "Key", in: block) else { continue }
                objects.append(S3ObjectInfo(key: key, size: Int(XMLScan.firstValue(of: "Size", in: block) ?? "") ?? 0))
            }
            let truncated = XMLScan.firstValue(of: "IsTruncated", in: text) == "true"
            token = truncated ? XMLScan.firstValue(of: "NextContinuationToken", in: text) : nil
            if truncated && token == nil {
                throw StorageError(name, "the listing is truncated but has no continuation token")
            }
        } while token != nil
        return objects
    }

    /// The objects under `path` taken as a folder, as Spark reads `s3a://bucket/Test`: keys below
    /// `path/` (so `Test` does not pick up `Testing/`); when there are none, the object `path` itself.
    public func listFolder(bucket: String, path: String, maxKeys: Int = 1000) throws -> [S3ObjectInfo] {
        guard !path.isEmpty, !path.hasSuffix("/") else { return try list(bucket: bucket, prefix: path, maxKeys: maxKeys) }
        let below = try list(bucket: bucket, prefix: path + "/", maxKeys: maxKeys)
        if !below.isEmpty { return below }
        return try list(bucket: bucket, prefix: path, maxKeys: maxKeys).filter { $0.key == path }
    }

    // MARK: reading

    /// The bytes of each object, `concurrency` requests in flight; one result per location, in order.
    /// `using` runs them on another engine than the client's own (one per concurrent caller).
    public func get(_ locations: [S3Location], using other: CurlEngine? = nil) -> [Result<[UInt8], StorageError>] {
        let jobs = locations.map { job(method: "GET", bucket: $0.bucket, key: $0.key, name: $0.description) }
        return (other ?? engine).perform(jobs).map { $0.map(\.body) }
    }

    // MARK: writing

    /// Stores `bytes` at `location` with one PUT.
    public func put(_ bytes: [UInt8], to location: S3Location) throws {
        _ = try engine.perform(putJob(bytes, location)).get()
    }

    func putJob(_ bytes: [UInt8], _ location: S3Location) -> HTTPJob {
        job(method: "PUT", bucket: location.bucket, key: location.key, body: bytes, name: location.description)
    }

    /// Builds a request for each attempt: a fresh date and signature, current credentials.
    func job(method: String, bucket: String, key: String, query: [(String, String)] = [], body: [UInt8]? = nil,
             contentType: String? = nil, name: String) -> HTTPJob {
        let payloadHash = body.map { SHA256.hexHash($0) } ?? Self.emptyHash
        return HTTPJob(name: name) { [self] in
            try request(method: method, bucket: bucket, key: key, query: query, body: body,
                        payloadHash: payloadHash, contentType: contentType, name: name)
        }
    }

    func request(method: String, bucket: String, key: String, query: [(String, String)], body: [UInt8]?,
                 payloadHash: String, contentType: String?, name: String) throws -> HTTPRequest {
        let encodedKey = URIEncoding.encode(key, keepSlash: true)
        let scheme: String, host: String, path: String
        if let endpoint {
            scheme = endpoint.scheme
            host = endpoint.authority
            path = endpoint.basePath + "/" + bucket + (key.isEmpty ? "" : "/" + encodedKey)
        } else if Self.isVirtualHostable(bucket) {
            scheme = "https"
            host = "\(bucket).s3.\(region).amazonaws.com"
            path = "/" + encodedKey
        } else {
            scheme = "https"
            host = "s3.\(region).amazonaws.com"
            path = "/" + bucket + (key.isEmpty ? "" : "/" + encodedKey)
        }
        let queryString = query.map { URIEncoding.encode($0.0) + ($0.1.isEmpty ? "" : "=" + URIEncoding.encode($0.1)) }
            .joined(separator: "&")
        var headers: [(String, String)] = [("Host", host)]
        if let contentType { headers.append(("Content-Type", contentType)) }
        if let credentials {
            let creds = try credentials.credentials()
            let signer = SigV4Signer(region: region)
            let signed = signer.sign(method: method, path: path, query: query, headers: ["host": host],
                                     payloadHash: payloadHash, credentials: creds, date: Date())
            headers += signed.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        return HTTPRequest(method: method, url: "\(scheme)://\(host)\(path)" + (queryString.isEmpty ? "" : "?" + queryString),
                           headers: headers, body: body, displayName: name)
    }

    /// Buckets usable as a host name label under TLS: lowercase letters, digits and hyphens only.
    static func isVirtualHostable(_ bucket: String) -> Bool {
        !bucket.isEmpty && bucket.count <= 63 && bucket.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }
            && bucket.first != "-" && bucket.last != "-"
    }
}

/// A custom endpoint split into the parts a request needs.
struct Endpoint: Sendable {
    var scheme: String
    var authority: String
    var basePath: String

    init(parsing text: String) throws {
        guard let range = text.range(of: "://") else {
            throw StorageError(text, "endpoint URL needs a scheme, e.g. http://127.0.0.1:9000", fatal: true)
        }
        scheme = text[..<range.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw StorageError(text, "endpoint URL scheme must be http or https", fatal: true)
        }
        let rest = text[range.upperBound...]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        authority = String(rest[..<slash])
        guard !authority.isEmpty else { throw StorageError(text, "endpoint URL has no host", fatal: true) }
        var base = String(rest[slash...])
        while base.hasSuffix("/") { base.removeLast() }
        basePath = base
    }
}
