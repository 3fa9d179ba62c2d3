import Storage
import Testing

/// Secrets, signatures and signed query strings never survive into an error message.
struct RedactionTests {
    @Test func registeredSecretsAreMasked() {
        _ = AWSCredentials(accessKeyId: "AKIDX", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", sessionToken: "FQoGZXIvYXdzEJr//tok",
                           source: "test")
        let e = StorageError("s3://b/k", "server said wJalrXUtnFEMI/K7MDENG+bPxRfiCY and FQoGZXIvYXdzEJr//tok")
        #expect(!e.description.contains("wJalrXUtnFEMI"))
        #expect(!e.description.contains("FQoGZXIvYXdzEJr"))
        #expect(e.description.contains("<redacted>"))
    }

    @Test(arguments: [
        "https://b.s3.amazonaws.com/k.jpg?X-Amz-Credential=AKID%2F2020&X-Amz-Signature=abcdef0123",
        "https://user:pass@example.com/k.jpg",
    ])
    func urlsLoseQueriesAndUserInfo(url: String) {
        let e = StorageError(url, "HTTP 500")
        #expect(!e.description.contains("abcdef0123") && !e.description.contains("pass@"))
        #expect(e.description.contains("k.jpg"))
    }

    @Test func authorizationFieldsAreMasked() {
        let text = "Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=0123456789abcdef"
        let scrubbed = Redaction.scrub(text)
        #expect(!scrubbed.contains("0123456789abcdef"))
    }

    @Test func localPathsKeepQuestionMarks() {
        #expect(StorageError("/data/what?.jpg", "no such file").object == "/data/what?.jpg")
    }
}
