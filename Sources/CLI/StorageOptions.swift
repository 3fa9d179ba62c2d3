import ArgumentParser
import Pipeline

/// The S3 options of every command that reads or writes `s3://` objects.
struct StorageOptions: ParsableArguments {
    @Option(help: "S3-compatible endpoint URL (path-style addressing), e.g. http://127.0.0.1:9000.")
    var endpointUrl: String?
    @Option(help: "AWS region for S3 (default: AWS_REGION, the profile, then us-east-1).")
    var region: String?
    @Option(help: "AWS profile of ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE, else default).")
    var profile: String?
    @Flag(help: "Anonymous S3 access (public buckets): no credentials, no signature.")
    var noSignRequest = false
    @Flag(help: "Do not verify TLS certificates.")
    var insecure = false

    func apply(to storage: inout StorageSettings) {
        if let endpointUrl { storage.endpointURL = endpointUrl }
        if let region { storage.region = region }
        if let profile { storage.profile = profile }
        if noSignRequest { storage.anonymous = true }
        if insecure { storage.insecure = true }
    }

    /// The environment's storage settings with these options applied.
    var config: StorageSettings {
        get throws {
            var storage = try EnvironmentSettings.process.storage
            apply(to: &storage)
            return storage
        }
    }
}
