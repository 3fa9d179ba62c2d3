import Foundation

/// Exponential backoff with full jitter, bounded in attempts and in total waiting time.
public struct RetryPolicy: Sendable {
    /// Attempts per request, the first included.
    public var maxAttempts: Int
    /// Delay bound before the second attempt; doubles with each further attempt.
    public var baseDelay: Double
    /// Cap on one delay.
    public var maxDelay: Double
    /// Cap on the sum of delays for one request.
    public var maxTotalDelay: Double

    public init(maxAttempts: Int = 8, baseDelay: Double = 0.1, maxDelay: Double = 8, maxTotalDelay: Double = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotalDelay = maxTotalDelay
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1), drawn uniformly from
    /// [0, min(maxDelay, base·2^(attempt−1))] so that many clients retrying together spread out.
    public func delay(afterAttempt attempt: Int) -> Double {
        let bound = min(maxDelay, baseDelay * pow(2, Double(min(attempt - 1, 30))))
        return Double.random(in: 0 ... max(bound, 0))
    }
}

/// How a finished attempt is judged.
public enum AttemptOutcome: Sendable {
    case success
    case retry(String)
    case fail(StorageError)
}

/// Judges one finished attempt of a request: success, retry, or a failure (fatal where the run cannot go on).
public enum RetryClassifier {
    /// libcurl errors worth another try: connection failures, resets, timeouts, short bodies.
    static let retryableCurlCodes: Set<Int> = [5, 6, 7, 16, 18, 28, 35, 52, 55, 56, 92]

    /// What to do after one attempt. `s3Request`: an S3 API call, whose 401/403 concern the run's
    /// credentials (fatal, with a hint); a plain URL's 401/403 concern that object only.
    public static func classify(name: String, curlCode: Int, curlMessage: String, response: HTTPResponse,
                                anonymous: Bool, s3Request: Bool = true) -> AttemptOutcome {
        if curlCode != 0 {
            if retryableCurlCodes.contains(curlCode) { return .retry("network error: \(curlMessage)") }
            if curlCode == 60 || curlCode == 58 || curlCode == 77 || curlCode == 83 {
                return .fail(StorageError(name, "TLS verification failed: \(curlMessage)", fatal: true))
            }
            return .fail(StorageError(name, "transfer failed: \(curlMessage)"))
        }
        let status = response.status
        if (200 ..< 300).contains(status) { return .success }
        let s3 = response.s3Error
        // "HTTP 403" once, then S3's code and message when the body has them.
        let detail = s3.map { "\($0.code): \($0.message)" } ?? "HTTP \(status)"
        let statusAndDetail = s3.map { "HTTP \(status) \($0.code): \($0.message)" } ?? "HTTP \(status)"
        if [500, 502, 503, 504, 429, 408].contains(status) || s3?.code == "SlowDown"
            || s3?.code == "RequestTimeout" || s3?.code == "InternalError" {
            return .retry(statusAndDetail)
        }
        if (status == 401 || status == 403) && !s3Request {
            let why = status == 401 ? "authentication required; imgfeat sends no credentials to http(s) URLs"
                : "forbidden by the server"
            return .fail(StorageError(name, "\(statusAndDetail) (\(why))"))
        }
        if status == 401 || status == 403 {
            let code = s3?.code ?? ""
            let hint: String
            var kind: StorageError.Kind?
            switch code {
            case "InvalidAccessKeyId": hint = "the access key id is unknown; check AWS_ACCESS_KEY_ID or the profile"
            case "SignatureDoesNotMatch": hint = "the secret key does not match the access key"
            case "ExpiredToken", "TokenRefreshRequired": hint = "the session token has expired"
            case "InvalidToken": hint = "the session token is invalid"
            default:
                hint = anonymous ? "anonymous access is refused" : "access denied; check the credentials' permissions"
                if anonymous { kind = .anonymousRefused }
            }
            return .fail(StorageError(name, "\(statusAndDetail) (\(hint))", fatal: true, kind: kind))
        }
        if s3?.code == "PermanentRedirect" || s3?.code == "AuthorizationHeaderMalformed"
            || s3?.code == "IllegalLocationConstraintException" {
            let bucketRegion = response.headers["x-amz-bucket-region"]
            let region = bucketRegion.map { " (\($0))" } ?? ""
            return .fail(StorageError(name, "\(detail): the bucket is in another region\(region); set AWS_REGION to it",
                                      fatal: true, kind: .wrongRegion(bucketRegion: bucketRegion)))
        }
        if status == 404 {
            return .fail(StorageError(name, s3.map { "not found (\($0.code))" } ?? "not found (HTTP 404)"))
        }
        return .fail(StorageError(name, statusAndDetail))
    }
}
