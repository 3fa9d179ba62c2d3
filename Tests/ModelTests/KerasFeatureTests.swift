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
        var generator = SeededGenerator(seed: 131)
        let input = Tensor(batch: 2, height: 131, width: 131, channels: 3,
                           data: (0..<(2 * 131 * 131 * 3)).map { _ in Float.random(in: -1...1, using: &generator) })
        let features = try ReferenceEngine(model: model).features(input)
        #expect(features.count == 2 * 1280)
        // Pooled ReLU6 outputs lie in [0, 6]; a model run at another size or alpha would not take this input.
        if let bad = features.firstIndex(where: { !($0 >= 0 && $0 <= 6) }) {
            Issue.record("feature \(bad) is \(features[bad]), outside ReLU6's [0, 6]")
        }
        #expect(features[..<1280] != features[1280...], "two different images gave the same features")
        // The fast engine at this awkward size against the reference.
        let fast = try FastCPUEngine(model: model, threads: 2).features(input)
        if let m = firstMismatch(fast, features, relativeTolerance: 1e-4) {
            Issue.record("fast CPU feature \(m.index): expected \(m.expected), got \(m.got)")
        }
    }
}
