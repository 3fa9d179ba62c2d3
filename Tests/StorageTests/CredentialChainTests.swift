import Foundation
import Storage
import Testing

/// The AWS lookup order (environment, then shared files, then instance metadata) and its errors.
struct CredentialChainTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "imgfeat-storage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/.aws", withIntermediateDirectories: true)
        try """
        # comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = secret-default

        [work]
        aws_access_key_id=AKIDWORK
        aws_secret_access_key=secret-work
        aws_session_token = token-work
        """.write(toFile: folder + "/.aws/credentials", atomically: true, encoding: .utf8)
        try """
        [default]
        region = eu-west-3
        [profile cfgonly]
        aws_access_key_id = AKIDCFG
        aws_secret_access_key = secret-cfg
        region = ap-south-1
        s3 =
          max_concurrent_requests = 5
        """.write(toFile: folder + "/.aws/config", atomically: true, encoding: .utf8)
    }

    /// An environment with only HOME and metadata off, plus `extra`.
    func env(_ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": folder, "AWS_EC2_METADATA_DISABLED": "true"].merging(extra) { $1 }
    }

    @Test func environmentComesFirst() throws {
        let config = StorageConfig(environment: env(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s-env",
                                                     "AWS_SESSION_TOKEN": "t-env"]))
        let c = try CredentialProvider(config: config).credentials()
        #expect(c.accessKeyId == "AKIDENV" && c.secretAccessKey == "s-env" && c.sessionToken == "t-env")
        #expect(c.source == "environment")
    }

    @Test(arguments: [("", "AKIDDEFAULT", nil), ("work", "AKIDWORK", "token-work"), ("cfgonly", "AKIDCFG", nil)])
    func profiles(profile: String, key: String, token: String?) throws {
        let config = StorageConfig(environment: env(profile.isEmpty ? [:] : ["AWS_PROFILE": profile]))
        let c = try CredentialProvider(config: config).credentials()
        #expect(c.accessKeyId == key)
        #expect(c.sessionToken == token)
    }

    @Test func regionOrder() {
        #expect(StorageConfig(environment: env()).resolvedRegion == "eu-west-3")
        #expect(StorageConfig(environment: env(["AWS_PROFILE": "cfgonly"])).resolvedRegion == "ap-south-1")
        #expect(StorageConfig(environment: env(["AWS_DEFAULT_REGION": "us-west-2"])).resolvedRegion == "us-west-2")
        #expect(StorageConfig(environment: env(["AWS_REGION": "sa-east-1", "AWS_DEFAULT_REGION": "x"]))
            .resolvedRegion == "sa-east-1")
        #expect(StorageConfig(environment: ["HOME": "/nonexistent"]).resolvedRegion == "us-east-1")
    }

    /// The endpoint in the AWS CLI v2 / boto3 order: flag or environment, then the profile's
    /// `services` section, then its `endpoint_url`; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS skips the file.
    @Test func endpointOrder() throws {
        let path = folder + "/endpoints.ini"
        try """
        [default]
        endpoint_url = http://127.0.0.1:9000
        [profile svc]
        endpoint_url = http://global.example:1
        services = local
        [services local]
        s3 =
          endpoint_url = http://s3.example:2
        sqs =
          endpoint_url = http://sqs.example:3
        [profile plain]
        region = eu-west-1
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let base = env(["AWS_CONFIG_FILE": path])
        #expect(StorageConfig(environment: base).resolvedEndpointURL == "http://127.0.0.1:9000")
        var named = StorageConfig(environment: base)
        named.profile = "svc"  // --profile, as the CLI sets it
        #expect(named.resolvedEndpointURL == "http://s3.example:2")
        #expect(StorageConfig(environment: base.merging(["AWS_PROFILE": "plain"]) { $1 }).resolvedEndpointURL == nil)
        let fromEnv = try StorageConfig.fromEnvironment(base.merging(["AWS_ENDPOINT_URL": "http://env.example:4"]) { $1 })
        #expect(fromEnv.resolvedEndpointURL == "http://env.example:4")
        let ignored = StorageConfig(environment: base.merging(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { $1 })
        #expect(ignored.resolvedEndpointURL == nil)
        // The nested s3 block of an ordinary profile is not taken for a top-level key.
        #expect(AWSConfigFiles(environment: env()).value("max_concurrent_requests", profile: "cfgonly") == nil)
    }

    @Test func alternativeFileLocations() throws {
        let other = folder + "/elsewhere.ini"
        try "[default]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s\n"
            .write(toFile: other, atomically: true, encoding: .utf8)
        let config = StorageConfig(environment: env(["AWS_SHARED_CREDENTIALS_FILE": other]))
        #expect(try CredentialProvider(config: config).credentials().accessKeyId == "AKIDOTHER")
    }

    @Test func unknownProfileIsFatal() {
        let config = StorageConfig(environment: env(["AWS_PROFILE": "nosuch"]))
        #expect {
            try CredentialProvider(config: config).credentials()
        } throws: { error in
            let e = error as? StorageError
            return e?.isFatal == true && e?.description.contains("nosuch") == true
        }
    }

    /// Typed, so the caller can add its own way of turning anonymous access on; Storage names no CLI flag.
    @Test func nothingFoundIsFatalAndSaysWhatToDo() {
        let config = StorageConfig(environment: ["HOME": folder + "/empty", "AWS_EC2_METADATA_DISABLED": "1"])
        #expect {
            try CredentialProvider(config: config).credentials()
        } throws: { error in
            let e = error as? StorageError
            return e?.isFatal == true && e?.kind == .noCredentials && e?.description.contains("--") == false
                && e?.description.contains("set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE") == true
        }
    }

    @Test func halfSetEnvironmentIsFatal() {
        let config = StorageConfig(environment: env(["AWS_ACCESS_KEY_ID": "AKIDONLY"]))
        #expect(throws: StorageError.self) { try CredentialProvider(config: config).credentials() }
    }

    @Test func descriptionHidesTheSecret() throws {
        let config = StorageConfig(environment: env(["AWS_PROFILE": "work"]))
        let c = try CredentialProvider(config: config).credentials()
        #expect(!"\(c)".contains("secret-work") && !"\(c)".contains("token-work"))
        #expect("\(c)".contains("AKIDWORK"))
    }
}
