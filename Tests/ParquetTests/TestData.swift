import Foundation
import Parquet
import TestSupport

/// Seeded test values, and the raw dumps the Python cross-checks compare against.
enum TestData {
    static let labels = ["chat", "chien", "étoile", "", "a,b \"c\""]

    static func floats(_ n: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float(Double(g.next() >> 11) / Double(1 << 53) * 8 - 4) }
    }

    static func doubles(_ n: Int, seed: UInt64) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Double(g.next() >> 11) / Double(1 << 53) * 2e3 - 1e3 }
    }

    static func paths(_ n: Int, prefix: String) -> [String] {
        (0..<n).map { "s3://bucket/\(prefix)/\(labels[$0 % labels.count])/image_\($0)_ü.jpg" }
    }

    static func labelColumn(_ n: Int, seed: UInt64) -> [String] {
        var g = SeededGenerator(seed: seed)
        return (0..<n).map { _ in labels[Int(g.next() % UInt64(labels.count))] }
    }

    /// Folder the Swift tests write for Tests/python/test_parquet_written.py.
    static let outputFolder = generatedFixturesDirectory.appendingPathComponent("parquet-out")

    static func writeRaw<T>(_ values: [T], to url: URL) throws {
        try values.withUnsafeBytes { try Data($0).write(to: url) }
    }

    /// Writes `name.json` describing what a file must contain.
    static func writeExpectation(_ name: String, _ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        try data.write(to: outputFolder.appendingPathComponent(name + ".json"))
    }

    static func prepareOutputFolder() throws {
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("imgfeat-parquet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension ParquetCompression {
    var label: String {
        switch self {
        case .uncompressed: "UNCOMPRESSED"
        case .snappy: "SNAPPY"
        case .gzip: "GZIP"
        case .zstd: "ZSTD"
        }
    }
}
