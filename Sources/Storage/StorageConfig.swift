import Common
import Foundation

/// How to reach object stores: region, endpoint, credentials choice, concurrency, timeouts, retries.
public struct StorageConfig: Sendable {
    /// Signing region; nil means AWS_REGION, AWS_DEFAULT_REGION, the profile's region, then us-east-1.
    public var region: String?
    /// An S3-compatible endpoint (`--endpoint-url`, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL); path-style addressing.
    public var endpointURL: String?
    /// Send requests unsigned (`--no-sign-request`), for public buckets.
    public var anonymous: Bool
    /// Profile of ~/.aws/credentials and ~/.aws/config; nil means AWS_PROFILE, then "default".
    public var profile: String?
    /// Requests kept in flight by one engine.
    public var concurrency: Int
    /// Skip TLS certificate verification (never the default).
    public var insecure: Bool
    public var connectTimeout: Double
    /// Seconds one attempt may take in all.
    public var requestTimeout: Double
    /// Seconds under 1 byte/s after which an attempt is cut and retried.
    public var stallTimeout: Double
    public var retry: RetryPolicy
    /// Largest object read into memory.
    public var maxObjectBytes: Int
    /// Files at least this large are uploaded in parts.
    public var multipartThreshold: Int
    /// Size of each part but the last (S3's minimum is 5 MiB).
    public var partSize: Int
    /// The environment read for credentials, region and endpoints: handed down by the edge (CLI,
    /// tests) through `fromEnvironment`; empty by default.
    public var environment: [String: String]

    public init(region: String? = nil, endpointURL: String? = nil, anonymous: Bool = false, profile: String? = nil,
                concurrency: Int = 32, insecure: Bool = false, connectTimeout: Double = 10,
                requestTimeout: Double = 300, stallTimeout: Double = 30, retry: RetryPolicy = RetryPolicy(),
                maxObjectBytes: Int = 256 << 20, multipartThreshold: Int = 64 << 20, partSize: Int = 16 << 20,
                environment: [String: String] = [:]) {
        self.region = region
        self.endpointURL = endpointURL
        self.anonymous = anonymous
        self.profile = profile
        self.concurrency = concurrency
        self.insecure = insecure
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.stallTimeout = stallTimeout
        self.retry = retry
        self.maxObjectBytes = maxObjectBytes
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.environment = environment
    }

    /// Defaults adjusted by the environment: the AWS variables above, plus IMGFEAT_S3_CONCURRENCY (1…1024),
    /// IMGFEAT_NO_SIGN_REQUEST=1, IMGFEAT_S3_STALL_SECONDS (above 0), IMGFEAT_S3_MAX_ATTEMPTS (1 or more)
    /// and IMGFEAT_S3_INSECURE=1 (for test servers with self-signed certificates). Throws
    /// `EnvironmentVariable.Invalid` for a value outside those.
    public static func fromEnvironment(_ environment: [String: String]) throws -> StorageConfig {
        func variable(_ name: String) -> EnvironmentVariable { EnvironmentVariable(name, in: environment) }
        var config = StorageConfig(environment: environment)
        config.endpointURL = nonEmpty(environment["AWS_ENDPOINT_URL_S3"]) ?? nonEmpty(environment["AWS_ENDPOINT_URL"])
        if let n = try variable("IMGFEAT_S3_CONCURRENCY").integer(in: 1...1024) { config.concurrency = n }
        if let s = try variable("IMGFEAT_S3_STALL_SECONDS").positiveNumber(unit: "seconds") { config.stallTimeout = s }
        if let n = try variable("IMGFEAT_S3_MAX_ATTEMPTS").integer(in: 1...Int.max) { config.retry.maxAttempts = n }
        config.anonymous = try variable("IMGFEAT_NO_SIGN_REQUEST").flag()
        config.insecure = try variable("IMGFEAT_S3_INSECURE").flag()
        return config
    }

    /// The profile name in use.
    public var resolvedProfile: String {
        profile ?? Self.nonEmpty(environment["AWS_PROFILE"]) ?? "default"
    }

    /// The S3 endpoint in use, in the AWS tools' order: `endpointURL` (`--endpoint-url`,
    /// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL), then the profile's `services` section's `s3` →
    /// `endpoint_url`, then the profile's own `endpoint_url` in ~/.aws/config; the config file is
    /// skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. nil: AWS's own endpoints.
    public var resolvedEndpointURL: String? {
        if let endpointURL { return endpointURL }
        guard !Self.isTrue(environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]) else { return nil }
        let files = AWSConfigFiles(environment: environment)
        if let services = files.value("services", profile: resolvedProfile, inConfigOnly: true),
           let url = Self.nonEmpty(files.serviceValue("endpoint_url", service: "s3", services: services)) {
            return url
        }
        return Self.nonEmpty(files.value("endpoint_url", profile: resolvedProfile, inConfigOnly: true))
    }

    /// The signing region in use.
    public var resolvedRegion: String {
        if let region { return region }
        if let r = Self.nonEmpty(environment["AWS_REGION"]) ?? Self.nonEmpty(environment["AWS_DEFAULT_REGION"]) {
            return r
        }
        let files = AWSConfigFiles(environment: environment)
        return files.value("region", profile: resolvedProfile, inConfigOnly: true) ?? "us-east-1"
    }

    static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return s.trimmingCharacters(in: .whitespaces)
    }

    static func isTrue(_ s: String?) -> Bool {
        guard let s = s?.lowercased() else { return false }
        return s == "1" || s == "true" || s == "yes"
    }
}
