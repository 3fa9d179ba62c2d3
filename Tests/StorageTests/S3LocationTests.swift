import Storage
import Testing

/// Parsing of the INPUT forms and of S3 URIs.
struct S3LocationTests {
    @Test(arguments: [("s3://bkt/a/b.jpg", "bkt", "a/b.jpg"), ("S3A://bkt/Test/", "bkt", "Test/"),
                      ("s3://bkt", "bkt", ""), ("s3a://bkt/", "bkt", "")])
    func parses(uri: String, bucket: String, key: String) throws {
        let l = try S3Location(parsing: uri)
        #expect(l.bucket == bucket && l.key == key)
    }

    @Test(arguments: ["s3://", "s3:///key", "http://x/y", "/local/path"])
    func rejects(uri: String) {
        #expect(throws: StorageError.self) { try S3Location(parsing: uri) }
    }

    @Test func inputSourceForms() throws {
        #expect(try InputSource(parsing: "s3a://bucket/Test") == .s3(bucket: "bucket", prefix: "Test", scheme: "s3a"))
        #expect(try InputSource(parsing: "@list.txt") == .list("list.txt"))
        #expect(try InputSource(parsing: "/data/imgs") == .localDirectory("/data/imgs"))
    }

    @Test func appendingKeepsOneSlash() {
        #expect(S3Location(bucket: "b", key: "out").appending("_SUCCESS").key == "out/_SUCCESS")
        #expect(S3Location(bucket: "b", key: "out/").appending("x").key == "out/x")
        #expect(S3Location(bucket: "b", key: "").appending("x").key == "x")
    }

    @Test func labelIsTheParentFolder() {
        #expect(InputItem(path: "s3://b/Test/Apple Braeburn/r_1.jpg").label == "Apple Braeburn")
    }
}
