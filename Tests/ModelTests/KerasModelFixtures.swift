import Foundation
import Model
import Testing
import TestSupport

/// The Keras oracle fixtures written by scripts/fixtures/keras_model.py (manifest.json plus raw float32 files).
struct KerasModelManifest: Decodable {
    struct LayerShape: Decodable, Sendable {
        var name: String
        var kernel: [Int]
        var stride: Int
        var output: [Int]
    }

    struct Case: Decodable, Sendable, CustomStringConvertible {
        var name: String
        var alpha: Double
        var size: Int
        var count: Int
        var files: [String: String]
        var inputs: String
        var features: String
        var featureDimension: Int
        var layers: [LayerShape]
        var description: String { name }
    }

    struct Malformed: Decodable {
        var truncated: String
        var notHDF5: String
        var layerRemoved: String
        var removedLayer: String
        var datasetMissing: String
        var missingDatasetLayer: String
    }

    var cases: [Case]
    var malformed: Malformed?
}

/// Where the fixtures of one set live and how to read them.
struct KerasModelFixtureSet: Sendable {
    let directory: URL

    static let committed = KerasModelFixtureSet(directory: fixturesDirectory.appendingPathComponent("model"))
    static let generated = KerasModelFixtureSet(directory: generatedFixturesDirectory.appendingPathComponent("model"))

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The manifest; fails the test with a pointer to the generator when it is missing.
    func manifest() throws -> KerasModelManifest {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url) else {
            Issue.record("missing \(url.path): run scripts/fixtures/generate.sh")
            throw FixtureMissing(path: url.path)
        }
        return try JSONDecoder().decode(KerasModelManifest.self, from: data)
    }

    /// Little-endian float32 values of a fixture file.
    func floats(_ name: String) throws -> [Float] {
        let url = directory.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url) else {
            Issue.record("missing \(url.path): run scripts/fixtures/generate.sh")
            throw FixtureMissing(path: url.path)
        }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// The inputs of a case as an N×S×S×3 tensor.
    func inputs(_ testCase: KerasModelManifest.Case) throws -> Tensor {
        let values = try floats(testCase.inputs)
        return Tensor(batch: testCase.count, height: testCase.size, width: testCase.size, channels: 3, data: values)
    }
}

struct FixtureMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "missing fixture \(path): run scripts/fixtures/generate.sh" }
}

/// Cases of a set by name, read at test-discovery time so each case shows as its own test argument.
func kerasCases(_ set: KerasModelFixtureSet) -> [KerasModelManifest.Case] {
    let url = set.directory.appendingPathComponent("manifest.json")
    guard let data = try? Data(contentsOf: url),
          let manifest = try? JSONDecoder().decode(KerasModelManifest.self, from: data) else { return [] }
    return manifest.cases
}

/// Every (case, weights file) pair of a set.
func kerasWeightFiles(_ set: KerasModelFixtureSet) -> [KerasWeightsFixture] {
    kerasCases(set).flatMap { testCase in
        testCase.files.sorted { $0.key < $1.key }.map { KerasWeightsFixture(testCase: testCase, layout: $0.key, file: $0.value) }
    }
}

struct KerasWeightsFixture: CustomStringConvertible, Sendable {
    var testCase: KerasModelManifest.Case
    var layout: String
    var file: String
    var description: String { "\(testCase.name) \(layout)" }
}
