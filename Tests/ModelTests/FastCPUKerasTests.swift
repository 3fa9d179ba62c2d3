import Foundation
import Model
import Testing
import TestSupport

/// The fast CPU engine on the Keras oracle fixtures (scripts/fixtures/keras_model.py): weights loaded from
/// the legacy .h5 files, features compared with what Keras computed and with the reference engine.
@Suite struct FastCPUKerasTests {
    private struct Manifest: Decodable {
        struct Case: Decodable, Sendable, CustomStringConvertible {
            var name: String
            var alpha: Double
            var size: Int
            var count: Int
            var files: [String: String]
            var inputs: String
            var features: String
            var description: String { name }
        }
        var cases: [Case]
    }

    private static let directory = generatedFixturesDirectory.appendingPathComponent("model")

    private static func read(_ name: String) throws -> Data {
        let url = directory.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url) else {
            Issue.record("missing \(url.path): run scripts/fixtures/generate.sh")
            throw CocoaError(.fileNoSuchFile)
        }
        return data
    }

    private static func floats(_ name: String) throws -> [Float] {
        let data = try read(name)
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
    }

    private static func cases() -> [Manifest.Case] {
        // Test arguments are computed before any test runs; a missing manifest is reported by the test below.
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return manifest.cases
    }

    @Test func fixturesExist() throws {
        let manifest = try JSONDecoder().decode(Manifest.self, from: try Self.read("manifest.json"))
        #expect(!manifest.cases.isEmpty, "no cases in \(Self.directory.path)/manifest.json")
    }

    @Test(arguments: cases())
    private func matchesKerasAndReference(_ c: Manifest.Case) throws {
        guard let weights = c.files["legacy_no_top"] else {
            Issue.record("\(c.name): manifest names no legacy_no_top weights file")
            return
        }
        let model = try loadModel(.file(Self.directory.appendingPathComponent(weights).path), alpha: c.alpha, inputSize: c.size)
        let input = Tensor(batch: c.count, height: c.size, width: c.size, channels: 3, data: try Self.floats(c.inputs))
        let keras = try Self.floats(c.features)
        let reference = try ReferenceEngine(model: model).features(input)
        for kernels in FastCPUEngineKernels.supported {
            for threads in [1, 2] {
                let got = try FastCPUEngine(model: model, threads: threads, kernels: kernels).features(input)
                #expect(got.count == keras.count, "\(c.name): \(got.count) features, Keras has \(keras.count)")
                guard got.count == keras.count else { continue }
                let k = firstMismatch(got, keras, relativeTolerance: 1e-4)
                #expect(k == nil, "\(c.name), \(kernels), \(threads) threads vs Keras: first mismatch at \(k?.index ?? -1): expected \(k?.expected ?? 0), got \(k?.got ?? 0)")
                let r = firstMismatch(got, reference, relativeTolerance: 1e-5)
                #expect(r == nil, "\(c.name), \(kernels), \(threads) threads vs reference: first mismatch at \(r?.index ?? -1): expected \(r?.expected ?? 0), got \(r?.got ?? 0)")
            }
        }
    }
}
