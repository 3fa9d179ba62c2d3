import Foundation
import Model

/// The Keras oracle fixtures written by scripts/fixtures/keras_model.py (manifest.json plus raw float32 files).
public struct KerasModelManifest: Decodable {
    public struct LayerShape: Decodable, Sendable {
        public var name: String
        public var kernel: [Int]
        public var stride: Int
        public var output: [Int]
    }

    public struct Case: Decodable, Sendable, CustomStringConvertible {
        public var name: String
        public var alpha: Double
        public var size: Int
        public var count: Int
        public var files: [String: String]
        public var inputs: String
        public var features: String
        public var featureDimension: Int
        public var layers: [LayerShape]
        public var description: String { name }
    }

    public struct Malformed: Decodable {
        public var truncated: String
        public var notHDF5: String
        public var layerRemoved: String
        public var removedLayer: String
        public var datasetMissing: String
        public var missingDatasetLayer: String
    }

    public var cases: [Case]
    public var malformed: Malformed?
}

/// Where the fixtures of one set live and how to read them.
public struct KerasModelFixtureSet: Sendable {
    public let directory: URL

    public static let committed = KerasModelFixtureSet(directory: fixturesDirectory.appendingPathComponent("model"))
    public static let generated = KerasModelFixtureSet(directory: generatedFixturesDirectory.appendingPathComponent("model"))

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The manifest; fails the test with a pointer to the generator when it is missing.
    public func manifest() throws -> KerasModelManifest {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url) else {
            throw FixtureMissing(path: url.path)
        }
        return try JSONDecoder().decode(KerasModelManifest.self, from: data)
    }

    /// Little-endian float32 values of a fixture file.
    public func floats(_ name: String) throws -> [Float] {
        let url = directory.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url) else {
            throw FixtureMissing(path: url.path)
        }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// The inputs of a case as an N×S×S×3 tensor.
    public func inputs(_ testCase: KerasModelManifest.Case) throws -> Tensor {
        let values = try floats(testCase.inputs)
        return Tensor(batch: testCase.count, height: testCase.size, width: testCase.size, channels: 3, data: values)
    }
}

public struct FixtureMissing: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "missing fixture \(path): run scripts/fixtures/generate.sh" }
}

/// Cases of a set by name, read at test-discovery time so each case shows as its own test argument. A
/// missing or unreadable manifest gives one case that names the problem and whose files do not exist,
/// so every test over the cases fails instead of running over none.
public func kerasCases(_ set: KerasModelFixtureSet) -> [KerasModelManifest.Case] {
    let url = set.directory.appendingPathComponent("manifest.json")
    guard let data = try? Data(contentsOf: url),
          let manifest = try? JSONDecoder().decode(KerasModelManifest.self, from: data) else {
        let missing = "missing-fixture-run-scripts-fixtures-generate.sh"
        return [KerasModelManifest.Case(name: "<no readable \(url.path)>", alpha: 1, size: 224, count: 1,
                                        files: ["legacy_no_top": missing], inputs: missing, features: missing,
                                        featureDimension: 1280, layers: [])]
    }
    return manifest.cases
}

/// Every (case, weights file) pair of a set.
public func kerasWeightFiles(_ set: KerasModelFixtureSet) -> [KerasWeightsFixture] {
    kerasCases(set).flatMap { testCase in
        testCase.files.sorted { $0.key < $1.key }.map { KerasWeightsFixture(testCase: testCase, layout: $0.key, file: $0.value) }
    }
}

public struct KerasWeightsFixture: CustomStringConvertible, Sendable {
    public var testCase: KerasModelManifest.Case
    public var layout: String
    public var file: String
    public var description: String { "\(testCase.name) \(layout)" }
}
