import Foundation
import TestSupport

/// One case written by scripts/fixtures/parquet_files.py with pyarrow or Spark.
struct FixtureCase: Decodable, CustomStringConvertible {
    var name: String
    var location: String
    var values: String
    var element: String
    var paths: [String]
    var labels: [String?]
    var lengths: [Int]
    var writer: String
    var description: String { name }
}

struct MissingFixture: Error, CustomStringConvertible {
    var description: String
}

enum FixtureManifest {
    /// Cases generated into .fixtures/parquet (pyarrow and Spark).
    static let generatedFolder = generatedFixturesDirectory.appendingPathComponent("parquet")
    /// Small pyarrow cases committed in Tests/Fixtures/parquet.
    static let committedFolder = fixturesDirectory.appendingPathComponent("parquet")

    static func cases(in folder: URL) throws -> [FixtureCase] {
        let url = folder.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MissingFixture(description: "\(url.path) is missing: run scripts/fixtures/generate.sh")
        }
        return try JSONDecoder().decode([FixtureCase].self, from: data)
    }

    /// Case names, for test arguments; a missing manifest yields one name that fails with the reason.
    static func names(in folder: URL) -> [String] {
        (try? cases(in: folder).map(\.name)) ?? ["<missing manifest in \(folder.path)>"]
    }

    static func readRaw<T>(_ url: URL, as: T.Type) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MissingFixture(description: "\(url.path) is missing: run scripts/fixtures/generate.sh")
        }
        let n = data.count / MemoryLayout<T>.size
        return [T](unsafeUninitializedCapacity: n) { buf, count in
            _ = data.copyBytes(to: buf)
            count = n
        }
    }
}
