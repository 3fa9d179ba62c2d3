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

/// What the `path` column stores for a URL: no user info, no signing parameters, the rest as given.
struct PublicURLTests {
    @Test(arguments: [
        ("https://user:pa%40ss@example.com/Cats/a.jpg", "https://example.com/Cats/a.jpg"),
        ("https://b.s3.amazonaws.com/k.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F2020&X-Amz-Date=1&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abc",
         "https://b.s3.amazonaws.com/k.jpg"),
        ("https://h/k.jpg?versionId=7&AWSAccessKeyId=AKID&Expires=1&Signature=abc", "https://h/k.jpg?versionId=7"),
        ("https://acct.blob.core.windows.net/c/k.jpg?sv=2020&se=2021&sr=b&sp=r&sig=abc", "https://acct.blob.core.windows.net/c/k.jpg"),
        ("https://storage.googleapis.com/b/k.jpg?X-Goog-Signature=abc&size=2", "https://storage.googleapis.com/b/k.jpg?size=2"),
        ("http://h:8080/a@b.jpg", "http://h:8080/a@b.jpg"),
        ("https://h/k.jpg#frag", "https://h/k.jpg"),
        ("/data/what?.jpg", "/data/what?.jpg"),
        ("s3://bucket/key.jpg", "s3://bucket/key.jpg"),
    ])
    func signingPartsAreDropped(url: String, stored: String) {
        #expect(Redaction.publicURL(url) == stored)
    }
}
