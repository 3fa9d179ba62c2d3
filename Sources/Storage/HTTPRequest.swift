/// One HTTP request as the transfer engine runs it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines to send, in order; values are never logged.
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Where the response body goes: memory, or streamed into a file (for large downloads).
    public var bodyFile: String?
    /// The name used in error messages: `s3://bucket/key` or the URL without its query string.
    public var displayName: String
    /// An S3 API request (signed, or anonymous by `--no-sign-request`): its 401/403 answers are about
    /// the run's credentials and stop it; for a plain URL they concern that URL alone.
    public var isS3 = false

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                bodyFile: String? = nil, displayName: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        self.displayName = displayName ?? Redaction.stripQuery(url)
    }
}

/// A finished HTTP exchange (any status): the status code, lowercased headers and the body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The S3 error `Code` and `Message` of an XML error body, when there is one.
    public var s3Error: (code: String, message: String)? {
        let text = String(decoding: body.prefix(64 << 10), as: UTF8.self)
        guard let code = XMLScan.firstValue(of: "Code", in: text) else { return nil }
        return (code, XMLScan.firstValue(of: "Message", in: text) ?? "")
    }
}

/// A request built afresh for each attempt, so that every retry carries a fresh signature and date.
public struct HTTPJob: Sendable {
    public var name: String
    public var make: @Sendable () throws -> HTTPRequest

    public init(name: String, make: @escaping @Sendable () throws -> HTTPRequest) {
        self.name = name
        self.make = make
    }

    /// A job that sends the same request every time.
    public static func fixed(_ request: HTTPRequest) -> HTTPJob {
        HTTPJob(name: request.displayName) { request }
    }
}
