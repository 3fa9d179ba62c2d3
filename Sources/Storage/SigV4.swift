import Common
import Foundation

/// AWS Signature Version 4 for S3 requests, done here rather than with curl 7.88's CURLOPT_AWS_SIGV4,
/// which neither sorts and encodes the query nor sends the payload hash S3 requires.
public struct SigV4Signer: Sendable {
    public var region: String
    public var service: String

    /// The hash S3 accepts in place of the body's own when the body is not hashed.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public init(region: String, service: String = "s3") {
        self.region = region
        self.service = service
    }

    /// The headers to add to a request (`Authorization`, `x-amz-date`, `x-amz-content-sha256`, and
    /// `x-amz-security-token` with temporary credentials). `path` is already percent-encoded;
    /// `headers` must hold `host` and may hold more headers to sign; names are matched case-insensitively.
    public func sign(method: String, path: String, query: [(String, String)], headers: [String: String],
                     payloadHash: String, credentials: AWSCredentials, date: Date) -> [String: String] {
        let stamp = Self.timestamp(date)
        let day = String(stamp.prefix(8))
        var signed: [String: String] = [:]
        for (name, value) in headers { signed[name.lowercased()] = value }
        signed["x-amz-date"] = stamp
        signed["x-amz-content-sha256"] = payloadHash
        if let token = credentials.sessionToken { signed["x-amz-security-token"] = token }

        let names = signed.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(Self.trimValue(signed[$0] ?? ""))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [method, path.isEmpty ? "/" : path, URIEncoding.canonicalQuery(query),
                                canonicalHeaders, signedHeaders, payloadHash].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope,
                            SHA256.hexHash(Array(canonicalRequest.utf8))].joined(separator: "\n")
        var key = SHA256.hmac(key: Array("AWS4\(credentials.secretAccessKey)".utf8), Array(day.utf8))
        for part in [region, service, "aws4_request"] { key = SHA256.hmac(key: key, Array(part.utf8)) }
        let signature = SHA256.hex(SHA256.hmac(key: key, Array(stringToSign.utf8)))

        var out: [String: String] = [:]
        out["x-amz-date"] = stamp
        out["x-amz-content-sha256"] = payloadHash
        if let token = credentials.sessionToken { out["x-amz-security-token"] = token }
        out["Authorization"] = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return out
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(t.tm_year + 1900)\(two(t.tm_mon + 1))\(two(t.tm_mday))T\(two(t.tm_hour))\(two(t.tm_min))\(two(t.tm_sec))Z"
    }

    /// Header values are signed with outer spaces removed and inner runs of spaces collapsed.
    static func trimValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
