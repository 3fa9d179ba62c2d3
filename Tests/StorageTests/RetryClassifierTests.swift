import Storage
import Testing

/// The failures a setting gets past are typed and worded without command-line flags (the caller adds
/// its own); other refusals are untyped.
struct RetryClassifierTests {
    static func s3Error(_ code: String, _ message: String) -> [UInt8] {
        Array("<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>\(message)</Message></Error>".utf8)
    }

    static func failure(status: Int, headers: [String: String] = [:], body: [UInt8], anonymous: Bool) -> StorageError? {
        let response = HTTPResponse(status: status, headers: headers, body: body)
        guard case .fail(let error) = RetryClassifier.classify(name: "s3://bucket/key", curlCode: 0, curlMessage: "",
                                                               response: response, anonymous: anonymous) else {
            return nil
        }
        return error
    }

    @Test func anonymousRefusalIsTyped() throws {
        let error = try #require(Self.failure(status: 403, body: Self.s3Error("AccessDenied", "Access Denied"), anonymous: true))
        #expect(error.isFatal && error.kind == .anonymousRefused)
        #expect(error.description == "s3://bucket/key: HTTP 403 AccessDenied: Access Denied (anonymous access is refused)")
    }

    @Test func signedRefusalIsNotTheAnonymousOne() throws {
        let error = try #require(Self.failure(status: 403, body: Self.s3Error("AccessDenied", "Access Denied"), anonymous: false))
        #expect(error.isFatal && error.kind == nil)
        #expect(error.description.hasSuffix("(access denied; check the credentials' permissions)"), "\(error)")
    }

    @Test(arguments: [("eu-west-1", " (eu-west-1)"), (nil, "")] as [(String?, String)])
    func wrongRegionIsTypedWithTheBucketsRegion(_ region: String?, _ shown: String) throws {
        let headers = region.map { ["x-amz-bucket-region": $0] } ?? [:]
        let error = try #require(Self.failure(status: 301, headers: headers,
                                              body: Self.s3Error("PermanentRedirect", "Use the right endpoint."), anonymous: false))
        #expect(error.isFatal && error.kind == .wrongRegion(bucketRegion: region))
        #expect(error.description == "s3://bucket/key: PermanentRedirect: Use the right endpoint.: the bucket is in "
                + "another region\(shown); set AWS_REGION to it")
    }
}
