import Foundation
import Model
import Testing
import TestSupport

/// Bad weight files give one clear line naming the file (and the layer), never a crash.
@Suite struct WeightsErrorTests {
    func message(_ source: WeightsSource, alpha: Double? = nil) -> String? {
        do {
            _ = try loadModel(source, alpha: alpha, inputSize: nil)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func expectError(_ text: String?, mentions parts: [String]) {
        guard let text else {
            Issue.record("loading succeeded, expected an error mentioning \(parts)")
            return
        }
        #expect(!text.contains("\n"), "multi-line error: \(text)")
        for part in parts {
            #expect(text.contains(part), "error \"\(text)\" should mention \"\(part)\"")
        }
    }

    @Test func malformedFilesAreRefused() throws {
        let set = KerasModelFixtureSet.generated
        let bad = try #require(try set.manifest().malformed)
        expectError(message(.file(set.path(bad.truncated))), mentions: [bad.truncated, "truncated"])
        expectError(message(.file(set.path(bad.notHDF5))), mentions: [bad.notHDF5, "not an HDF5 file"])
        expectError(message(.file(set.path(bad.layerRemoved))), mentions: [bad.layerRemoved, bad.removedLayer, "missing"])
        expectError(message(.file(set.path(bad.datasetMissing))), mentions: [bad.datasetMissing, bad.missingDatasetLayer, "missing"])
    }

    @Test(arguments: kerasWeightFiles(.committed))
    func wrongAlphaNamesTheLayer(_ fixture: KerasWeightsFixture) {
        let path = KerasModelFixtureSet.committed.path(fixture.file)
        expectError(message(.file(path), alpha: 1.0), mentions: [path, "layer ", "alpha 1.0", "fits alpha 0.35"])
    }

    @Test func unknownAlphaIsATypedErrorThatNamesNoFlag() {
        // The CLI adds "pass --alpha" (PipelineTests); Model's own line names the file and the alphas tried.
        let error = ModelError.alphaNotInferred(file: "/w/odd.h5", alphas: MobileNetV2Config.imagenetAlphas)
        #expect("\(error)" == "/w/odd.h5: kernel shapes fit no MobileNetV2 alpha in 0.35, 0.5, 0.75, 1.0, 1.3, 1.4")
    }

    @Test func missingFileIsNamed() {
        let path = NSTemporaryDirectory() + "/imgfeat-no-such-weights.h5"
        expectError(message(.file(path)), mentions: [path, "no such file"])
    }

    @Test func notWeightsAtAllIsRefused() throws {
        // An HDF5 file without Keras structure: the committed Keras 3 file's sibling would do, but any
        // HDF5 file with neither layer_names nor layers/ must be refused; the generated inputs are not HDF5.
        let set = KerasModelFixtureSet.committed
        let testCase = try #require(try set.manifest().cases.first)
        expectError(message(.file(set.path(testCase.inputs))), mentions: [testCase.inputs, "not an HDF5 file"])
    }
}
