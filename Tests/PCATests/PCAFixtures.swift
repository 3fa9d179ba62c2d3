import Foundation
import Testing
import TestSupport

/// One oracle case written by scripts/fixtures/pca.py under .fixtures/pca/<name>/.
struct PCAFixture {
    struct Meta: Decodable { let n: Int; let d: Int; let k: Int }
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "PCA fixture \(path) is missing: run scripts/fixtures/generate.sh" }
    }

    let name: String
    let meta: Meta
    let folder: URL
    let features: [Float]

    init(_ name: String) throws {
        self.name = name
        folder = generatedFixturesDirectory.appendingPathComponent("pca/\(name)")
        let metaURL = folder.appendingPathComponent("meta.json")
        guard let metaData = try? Data(contentsOf: metaURL) else { throw Missing(path: metaURL.path) }
        meta = try JSONDecoder().decode(Meta.self, from: metaData)
        let raw = try Self.bytes(folder.appendingPathComponent("features.f32"))
        features = raw.withUnsafeBytes { buffer in
            (0..<(raw.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }

    func doubles(_ file: String) throws -> [Double] {
        let raw = try Self.bytes(folder.appendingPathComponent(file))
        return raw.withUnsafeBytes { buffer in
            (0..<(raw.count / 8)).map {
                Double(bitPattern: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))
            }
        }
    }

    func text(_ file: String) throws -> String {
        String(decoding: try Self.bytes(folder.appendingPathComponent(file)), as: UTF8.self)
    }

    /// Rows `range` of the features as a flat row-major array.
    func rows(_ range: Range<Int>) -> [Float] {
        Array(features[(range.lowerBound * meta.d)..<(range.upperBound * meta.d)])
    }

    private static func bytes(_ url: URL) throws -> Data {
        guard let data = try? Data(contentsOf: url) else { throw Missing(path: url.path) }
        return data
    }
}

/// First index where |got − expected| exceeds tolerance × max |expected|, with both values.
func pcaFirstMismatch(_ got: [Double], _ expected: [Double], relativeTolerance: Double)
    -> (index: Int, expected: Double, got: Double)? {
    precondition(got.count == expected.count, "length \(got.count) vs \(expected.count)")
    let scale = max(expected.map { abs($0) }.max() ?? 0, Double.leastNormalMagnitude)
    for i in 0..<got.count where !(abs(got[i] - expected[i]) <= relativeTolerance * scale) {
        return (i, expected[i], got[i])
    }
    return nil
}

/// First index where |got − expected| exceeds an absolute tolerance.
func pcaFirstAbsoluteMismatch(_ got: [Double], _ expected: [Double], tolerance: Double)
    -> (index: Int, expected: Double, got: Double)? {
    precondition(got.count == expected.count, "length \(got.count) vs \(expected.count)")
    for i in 0..<got.count where !(abs(got[i] - expected[i]) <= tolerance) {
        return (i, expected[i], got[i])
    }
    return nil
}

/// Column `j` of a rows×cols row-major matrix.
func pcaColumn(_ matrix: [Double], rows: Int, cols: Int, _ j: Int) -> [Double] {
    (0..<rows).map { matrix[$0 * cols + j] }
}

/// ±1: the sign that aligns `oracle` with `ours` (oracles have no sign rule).
func pcaAlignment(_ ours: [Double], _ oracle: [Double]) -> Double {
    zip(ours, oracle).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1 : 1
}
