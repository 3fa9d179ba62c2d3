import Foundation
import TestSupport

/// The oracle fixtures written by scripts/fixtures/storage_sigv4.py (botocore, hashlib, urllib).
enum StorageFixtures {
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) is missing: run scripts/fixtures/generate.sh" }
    }

    static func sigv4() throws -> [String: Any] {
        let url = generatedFixturesDirectory.appendingPathComponent("storage/sigv4.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Missing(path: url.path)
        }
        return object
    }

    static func cases(_ name: String) throws -> [[String: Any]] {
        guard let list = try sigv4()[name] as? [[String: Any]], !list.isEmpty else {
            throw Missing(path: "storage/sigv4.json[\(name)]")
        }
        return list
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = hex.utf8.makeIterator()
        while let hi = chars.next(), let lo = chars.next() {
            out.append(UInt8(nibble(hi) << 4 | nibble(lo)))
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        c >= 0x61 ? c - 0x61 + 10 : c >= 0x41 ? c - 0x41 + 10 : c - 0x30
    }
}
