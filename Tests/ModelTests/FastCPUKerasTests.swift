import Foundation
import Model
import Testing
import TestSupport

/// The fast CPU engine on the Keras oracle fixtures (scripts/fixtures/keras_model.py): weights loaded from
/// the legacy .h5 files, features compared with what Keras computed and with the reference engine.
@Suite struct FastCPUKerasTests {
    private static let set = KerasModelFixtureSet.generated

    @Test func fixturesExist() throws {
        let manifest = try Self.set.manifest()
        #expect(!manifest.cases.isEmpty, "no cases in \(Self.set.directory.path)/manifest.json")
    }

    // Test arguments are computed before any test runs; a missing manifest fails `fixturesExist`.
    @Test(arguments: kerasCases(.generated))
    private func matchesKerasAndReference(_ c: KerasModelManifest.Case) throws {
        guard let weights = c.files["legacy_no_top"] else {
            Issue.record("\(c.name): manifest names no legacy_no_top weights file")
            return
        }
        let model = try loadModel(.file(Self.set.path(weights)), alpha: c.alpha, inputSize: c.size)
        let input = try Self.set.inputs(c)
        let keras = try Self.set.floats(c.features)
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
