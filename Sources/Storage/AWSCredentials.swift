import Foundation

/// An AWS key pair, with a session token and expiry for temporary credentials. Printing one shows
/// only the access key id and where it came from.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var expiration: Date?
    /// Where they were found: "environment", "profile default", "instance metadata (role r)".
    public var source: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil,
                expiration: Date? = nil, source: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
        Redaction.register(secretAccessKey)
        if let sessionToken { Redaction.register(sessionToken) }
    }

    public var description: String { "AWS credentials \(accessKeyId) from \(source)" }
}

/// Finds credentials in the AWS order — environment, shared credentials and config files, EC2
/// instance metadata (IMDSv2) — and refreshes temporary ones before they expire.
public final class CredentialProvider: @unchecked Sendable {
    private let config: StorageConfig
    private let lock = NSLock()
    private var cached: AWSCredentials?
    private var fetchedAt = Date.distantPast
    private var failure: (error: Error, at: Date)?
    /// A failed lookup is not repeated for this long: every request of a batch would otherwise wait
    /// for the metadata endpoint in turn.
    public static let failureMemory: Double = 30
    /// Temporary credentials are renewed this long before their expiry.
    public static let refreshMargin: Double = 300

    public init(config: StorageConfig) {
        self.config = config
    }

    /// Current credentials; fetched on first use and again when they are close to expiry or `forceRefresh`.
    public func credentials(forceRefresh: Bool = false) throws -> AWSCredentials {
        lock.lock(); defer { lock.unlock() }
        if !forceRefresh, let cached {
            guard let expiry = cached.expiration else { return cached }
            let left = expiry.timeIntervalSinceNow
            // Renew inside the margin, but at most once a minute unless expiry is seconds away: a
            // source that hands out short-lived credentials must not be asked on every request.
            if left > Self.refreshMargin || (left > 10 && Date().timeIntervalSince(fetchedAt) < 60) { return cached }
        }
        if !forceRefresh, let failure, Date().timeIntervalSince(failure.at) < Self.failureMemory {
            throw failure.error
        }
        do {
            let fresh = try resolve()
            cached = fresh
            fetchedAt = Date()
            failure = nil
            return fresh
        } catch {
            failure = (error, Date())
            throw error
        }
    }

    private func resolve() throws -> AWSCredentials {
        let env = config.environment
        if let key = StorageConfig.nonEmpty(env["AWS_ACCESS_KEY_ID"]) {
            guard let secret = StorageConfig.nonEmpty(env["AWS_SECRET_ACCESS_KEY"]) else {
                throw StorageError("AWS credentials", "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                                   fatal: true)
            }
            return AWSCredentials(accessKeyId: key, secretAccessKey: secret,
                                  sessionToken: StorageConfig.nonEmpty(env["AWS_SESSION_TOKEN"]), source: "environment")
        }
        let profile = config.resolvedProfile
        let files = AWSConfigFiles(environment: env)
        if let key = files.value("aws_access_key_id", profile: profile) {
            guard let secret = files.value("aws_secret_access_key", profile: profile) else {
                throw StorageError("AWS profile \(profile)", "aws_access_key_id without aws_secret_access_key",
                                   fatal: true)
            }
            return AWSCredentials(accessKeyId: key, secretAccessKey: secret,
                                  sessionToken: files.value("aws_session_token", profile: profile),
                                  source: "profile \(profile)")
        }
        if StorageConfig.nonEmpty(env["AWS_PROFILE"]) != nil || config.profile != nil {
            // A profile named explicitly but found nowhere is a typo, not a cue to try the instance role.
            let known = AWSConfigFiles.parse(path: files.credentialsPath)[profile] != nil
                || AWSConfigFiles.parse(path: files.configPath)["profile \(profile)"] != nil
                || (profile == "default" && AWSConfigFiles.parse(path: files.configPath)["default"] != nil)
            if !known {
                throw StorageError("AWS profile \(profile)", "not found in \(files.credentialsPath) or \(files.configPath)",
                                   fatal: true)
            }
        }
        if StorageConfig.isTrue(env["AWS_EC2_METADATA_DISABLED"]) {
            throw noCredentials(imds: "disabled by AWS_EC2_METADATA_DISABLED")
        }
        do {
            return try InstanceMetadata(config: config).credentials()
        } catch let error as StorageError {
            throw noCredentials(imds: error.reason)
        }
    }

    private func noCredentials(imds: String) -> StorageError {
        StorageError("AWS credentials",
                     "none found (environment, profile \(config.resolvedProfile), instance metadata: \(imds)); "
                         + "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE", fatal: true, kind: .noCredentials)
    }
}
