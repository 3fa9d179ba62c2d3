import Foundation
import Model
import Testing
import TestSupport

/// The reference engine against Keras' own MobileNetV2 (`layers[-2]`) for the same weights.
@Suite struct KerasFeatureTests {
    @Test func generatedFixturesArePresent() throws {
        let manifest = try KerasModelFixtureSet.generated.manifest()
        #expect(Set(manifest.cases.map(\.name)) == ["a035_s224", "a100_s224", "a050_s113"])
        #expect(kerasWeightFiles(.generated).count == 11)
        #expect(kerasWeightFiles(.committed).count == 2)
    }

    @Test(arguments: kerasWeightFiles(.committed))
    func committedWeightsGiveKerasFeatures(_ fixture: KerasWeightsFixture) throws {
        try checkFeatures(fixture, in: .committed)
    }

    @Test(arguments: kerasWeightFiles(.generated))
    func generatedWeightsGiveKerasFeatures(_ fixture: KerasWeightsFixture) throws {
        try checkFeatures(fixture, in: .generated)
    }

    func checkFeatures(_ fixture: KerasWeightsFixture, in set: KerasModelFixtureSet) throws {
        let testCase = fixture.testCase
        // Alpha and size are left for the loader to infer where the file allows it.
        let inferableSize = fixture.file.hasPrefix("mobilenet_v2_weights")
        let model = try loadModel(.file(set.path(fixture.file)), alpha: nil,
                                  inputSize: inferableSize ? nil : testCase.size)
        #expect(model.config == MobileNetV2Config(alpha: testCase.alpha, inputSize: testCase.size))
        #expect(model.featureDimension == testCase.featureDimension)
        #expect(model.weightsIdentity.hasPrefix("keras-h5:\(fixture.file) sha256:"))
        let expected = try set.floats(testCase.features)
        let got = try ReferenceEngine(model: model).features(try set.inputs(testCase))
        #expect(got.count == expected.count)
        guard got.count == expected.count else { return }
        if let m = firstMismatch(got, expected, relativeTolerance: 1e-4) {
            Issue.record("\(fixture): feature \(m.index) (image \(m.index / testCase.featureDimension)): expected \(m.expected), got \(m.got)")
        }
    }

    @Test func explicitAlphaAndSizeAreHonoured() throws {
        let set = KerasModelFixtureSet.committed
        let testCase = try #require(try set.manifest().cases.first)
        let file = try #require(testCase.files["keras3_no_top"])
        let model = try loadModel(.file(set.path(file)), alpha: 0.35, inputSize: 131)
        #expect(model.config == MobileNetV2Config(alpha: 0.35, inputSize: 131))
        let input = Tensor(batch: 1, height: 131, width: 131, channels: 3, repeating: 0.25)
        let features = try ReferenceEngine(model: model).features(input)
        #expect(features.count == 1280 && features.allSatisfy { $0.isFinite })
    }
}
