import Foundation

/// Keeps secrets out of every message: known secret values are replaced, URL query strings (which
/// may carry presigned signatures) are dropped, and Authorization-like fields are masked.
public enum Redaction {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var secrets: Set<String> = []

    /// Registers a value (secret key, session token) that must never be printed.
    public static func register(_ secret: String) {
        guard secret.count >= 4 else { return }
        lock.lock(); defer { lock.unlock() }
        secrets.insert(secret)
    }

    /// `text` with every registered secret, query string and credential-looking field masked.
    public static func scrub(_ text: String) -> String {
        lock.lock()
        let known = secrets
        lock.unlock()
        var out = text
        for secret in known where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: "<redacted>")
        }
        for marker in ["Signature=", "X-Amz-Signature=", "X-Amz-Credential=", "X-Amz-Security-Token=",
                       "AWSAccessKeyId=", "aws_secret_access_key", "Authorization:"] {
            out = mask(after: marker, in: out)
        }
        return out
    }

    /// A URL without its query string or user info, safe to print.
    public static func stripQuery(_ url: String) -> String {
        guard url.contains("://") else { return url }
        var base = url
        if let q = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<q]) }
        if let scheme = base.range(of: "://"), let at = base[scheme.upperBound...].firstIndex(of: "@"),
           !base[scheme.upperBound ..< at].contains("/") {
            base = String(base[..<scheme.upperBound]) + "<redacted>@" + String(base[base.index(after: at)...])
        }
        return base
    }

    /// Query parameters that sign or authorise a URL (presigned S3 and CloudFront, Google Cloud
    /// Storage, Azure SAS, bearer tokens), compared in lowercase; `x-amz-` and `x-goog-` prefixes too.
    static let signingParameters: Set<String> = [
        "signature", "awsaccesskeyid", "expires", "policy", "key-pair-id", "googleaccessid",
        "sig", "se", "sp", "sv", "sr", "st", "spr", "si", "skoid", "sktid", "skt", "ske", "sks", "skv",
        "token", "access_token", "auth", "authorization",
    ]

    /// `url` as it may be stored in an output (the `path` column): no user info, no fragment, and no
    /// signing query parameters; other parameters are kept in their order. Not a URL: unchanged.
    public static func publicURL(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        var rest = Substring(url[scheme.upperBound...])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var query: Substring?
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        var out = String(url[..<scheme.upperBound]) + rest
        let kept = (query ?? "").split(separator: "&").filter { parameter in
            let name = (parameter.split(separator: "=", maxSplits: 1).first.map(String.init) ?? "").lowercased()
            let decoded = name.removingPercentEncoding ?? name
            return !(signingParameters.contains(decoded) || decoded.hasPrefix("x-amz-") || decoded.hasPrefix("x-goog-"))
        }
        if !kept.isEmpty { out += "?" + kept.joined(separator: "&") }
        return out
    }

    private static func mask(after marker: String, in text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let r = rest.range(of: marker, options: .caseInsensitive) {
            out += rest[..<r.upperBound]
            rest = rest[r.upperBound...]
            let end = rest.firstIndex(where: { $0 == "&" || $0 == "," || $0 == " " || $0 == "\n" || $0 == "\"" })
                ?? rest.endIndex
            if end > rest.startIndex { out += "<redacted>" }
            rest = rest[end...]
        }
        return out + rest
    }
}
