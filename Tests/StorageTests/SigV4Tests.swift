import Common
import Foundation
import Storage
import Testing
import TestSupport

/// SHA-256, HMAC, percent-encoding and whole SigV4 signatures against botocore/hashlib/urllib.
struct SigV4Tests {
    @Test func sha256AndHmacMatchHashlib() throws {
        var rng = SeededGenerator(seed: 6)
        for entry in try StorageFixtures.cases("hashes") {
            let message = StorageFixtures.bytes(hex: entry["message_hex"] as? String ?? "")
            let key = StorageFixtures.bytes(hex: entry["key_hex"] as? String ?? "")
            #expect(SHA256.hexHash(message) == entry["sha256"] as? String, "sha256 of \(message.count) bytes")
            #expect(SHA256.hex(SHA256.hmac(key: key, message)) == entry["hmac"] as? String,
                    "hmac of \(message.count) bytes, key \(key.count) bytes")
            // The same digest when the message arrives in random pieces.
            var streamed = SHA256()
            var offset = 0
            while offset < message.count {
                let n = min(message.count - offset, Int.random(in: 1 ... 200, using: &rng))
                streamed.update(message[offset ..< offset + n])
                offset += n
            }
            #expect(SHA256.hex(streamed.finalize()) == entry["sha256"] as? String, "streamed \(message.count) bytes")
        }
    }

    @Test func percentEncodingMatchesUrllib() throws {
        for entry in try StorageFixtures.cases("encodings") {
            let text = entry["text"] as? String ?? ""
            #expect(URIEncoding.encode(text, keepSlash: true) == entry["path"] as? String, "path \(text)")
            #expect(URIEncoding.encode(text) == entry["query"] as? String, "query \(text)")
        }
    }

    @Test func signaturesMatchBotocore() throws {
        let cases = try StorageFixtures.cases("signatures")
        for (index, entry) in cases.enumerated() {
            let body = StorageFixtures.bytes(hex: entry["body_hex"] as? String ?? "")
            let query = (entry["query"] as? [[String]] ?? []).map { ($0[0], $0[1]) }
            let credentials = AWSCredentials(accessKeyId: entry["access_key"] as? String ?? "",
                                             secretAccessKey: entry["secret_key"] as? String ?? "",
                                             sessionToken: entry["token"] as? String, source: "fixture")
            let signer = SigV4Signer(region: entry["region"] as? String ?? "")
            let date = Date(timeIntervalSince1970: Double(entry["epoch"] as? Int ?? 0))
            let headers = signer.sign(method: entry["method"] as? String ?? "", path: entry["path"] as? String ?? "",
                                      query: query, headers: ["Host": entry["host"] as? String ?? ""],
                                      payloadHash: SHA256.hexHash(body), credentials: credentials, date: date)
            #expect(headers["x-amz-date"] == entry["amz_date"] as? String, "case \(index)")
            #expect(headers["x-amz-content-sha256"] == entry["content_sha256"] as? String, "case \(index)")
            #expect(headers["Authorization"] == entry["authorization"] as? String,
                    "case \(index): \(entry["method"] ?? "") \(entry["path"] ?? "") \(query)")
            #expect(headers["x-amz-security-token"] == entry["token"] as? String, "case \(index)")
        }
    }
}
