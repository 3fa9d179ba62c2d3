import Foundation

/// EC2 instance metadata, IMDSv2: a session token by PUT, then the role name and its temporary
/// credentials by GET. The endpoint is AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254.
struct InstanceMetadata {
    let endpoint: String
    let engine: CurlEngine

    init(config: StorageConfig) {
        let base = StorageConfig.nonEmpty(config.environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"])
            ?? "http://169.254.169.254"
        endpoint = base.hasSuffix("/") ? String(base.dropLast()) : base
        // Off EC2 the address does not answer: fail within seconds rather than stall the run.
        var quick = StorageConfig(concurrency: 1, connectTimeout: 1, requestTimeout: 3, stallTimeout: 2,
                                  retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.05, maxDelay: 0.2, maxTotalDelay: 1),
                                  environment: config.environment)
        quick.insecure = config.insecure
        engine = CurlEngine(quick)
    }

    func credentials() throws -> AWSCredentials {
        let token = try text(HTTPRequest(method: "PUT", url: "\(endpoint)/latest/api/token",
                                         headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")]))
        let auth = [("X-aws-ec2-metadata-token", token)]
        let roles = try text(HTTPRequest(url: "\(endpoint)/latest/meta-data/iam/security-credentials/", headers: auth))
        guard let role = roles.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
            throw StorageError("instance metadata", "no IAM role is attached to this instance")
        }
        let json = try text(HTTPRequest(url: "\(endpoint)/latest/meta-data/iam/security-credentials/\(URIEncoding.encode(role))",
                                        headers: auth))
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let key = object["AccessKeyId"] as? String, let secret = object["SecretAccessKey"] as? String else {
            throw StorageError("instance metadata", "the credentials document of role \(role) is not valid JSON")
        }
        if let code = object["Code"] as? String, code != "Success" {
            throw StorageError("instance metadata", "role \(role) credentials unavailable (\(code))")
        }
        let expiration = (object["Expiration"] as? String).flatMap(Self.parseDate)
        return AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: object["Token"] as? String,
                              expiration: expiration, source: "instance metadata (role \(role))")
    }

    private func text(_ request: HTTPRequest) throws -> String {
        switch engine.perform(.fixed(request)) {
        case .success(let response): return String(decoding: response.body, as: UTF8.self)
        case .failure(let error): throw StorageError("instance metadata", error.reason)
        }
    }

    /// ISO 8601 `2026-11-25T13:00:00Z`, with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let d = formatter.date(from: text) { return d }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
