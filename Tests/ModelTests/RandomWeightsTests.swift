import Foundation
import Model
import Testing
import TestSupport

/// random:SEED models: deterministic, well-scaled, and reachable through WeightsSource.
@Suite struct RandomWeightsTests {
    func seededInput(size: Int, count: Int, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let values = (0..<(count * size * size * 3)).map { _ in Float.random(in: -1...1, using: &generator) }
        return Tensor(batch: count, height: size, width: size, channels: 3, data: values)
    }

    @Test(arguments: [(0.35, 96), (1.0, 224), (1.4, 97)])
    func featuresAreFiniteAndNonTrivial(alpha: Double, size: Int) throws {
        let model = try loadModel(.random(seed: 7), alpha: alpha, inputSize: size)
        #expect(model.weightsIdentity == "random:7")
        let features = try ReferenceEngine(model: model).features(seededInput(size: size, count: 2, seed: 1))
        #expect(features.count == 2 * model.featureDimension)
        #expect(features.allSatisfy { $0.isFinite })
        let maximum = features.max() ?? 0
        let mean = features.reduce(0, +) / Float(features.count)
        let zeros = features.filter { $0 == 0 }.count
        #expect(maximum > 0.1 && maximum < 6, "max feature \(maximum)")
        #expect(mean > 0.01, "mean feature \(mean)")
        #expect(zeros < features.count / 4, "\(zeros) of \(features.count) features are zero")
        // Two different images must give different features.
        let first = Array(features[0..<model.featureDimension]), second = Array(features[model.featureDimension...])
        #expect(first != second)
    }

    @Test func sameSeedSameWeightsOtherSeedOtherWeights() {
        let config = MobileNetV2Config(alpha: 0.5, inputSize: 64)
        let a = FoldedMobileNetV2.random(config: config, seed: 42)
        let b = FoldedMobileNetV2.random(config: config, seed: 42)
        let c = FoldedMobileNetV2.random(config: config, seed: 43)
        #expect(a.layers.map(\.weights) == b.layers.map(\.weights))
        #expect(a.layers.map(\.bias) == b.layers.map(\.bias))
        #expect(a.layers.map(\.weights) != c.layers.map(\.weights))
        for layer in a.layers {
            #expect(layer.weights.count == layer.weightCount, "\(layer.name)")
            #expect(layer.bias.count == layer.outChannels, "\(layer.name)")
        }
    }

    @Test func weightsSourceParsing() throws {
        #expect(try WeightsSource(parsing: "imagenet") == .imagenet)
        #expect(try WeightsSource(parsing: "random:12") == .random(seed: 12))
        #expect(try WeightsSource(parsing: "w/model.h5") == .file("w/model.h5"))
        #expect(throws: ModelError.self) { try WeightsSource(parsing: "random:x") }
        #expect(throws: ModelError.self) { try WeightsSource(parsing: "") }
    }

    @Test func imagenetLookupOrder() throws {
        let root = NSTemporaryDirectory() + "/imgfeat-weights-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let keras = root + "/keras/models", cache = root + "/cache/imgfeat"
        try FileManager.default.createDirectory(atPath: keras, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        var environment = ["HOME": root + "/home", "XDG_CACHE_HOME": root + "/cache", "KERAS_HOME": root + "/keras"]
        let name = WeightsSource.imagenetFileName(alpha: 0.35, size: 224, includeTop: false)
        #expect(name == "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5")
        #expect(WeightsSource.imagenetFileName(alpha: 1, size: 96) == "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96.h5")

        do {
            _ = try WeightsSource.resolveImagenet(alpha: 0.35, size: 224, environment: environment)
            Issue.record("resolved ImageNet weights in an empty folder")
        } catch {
            // A typed error naming what was sought and where; how to name another file is the CLI's to say.
            #expect(error as? ModelError == .weightsNotFound(
                explicitFile: nil, fileName: WeightsSource.imagenetFileName(alpha: 0.35, size: 224), folders: [cache, keras]))
            #expect("\(error)" == "no ImageNet weights found; looked in $IMGFEAT_WEIGHTS, \(cache), \(keras) for "
                    + WeightsSource.imagenetFileName(alpha: 0.35, size: 224))
        }
        _ = FileManager.default.createFile(atPath: keras + "/" + name, contents: Data())
        #expect(try WeightsSource.resolveImagenet(alpha: 0.35, size: 224, environment: environment) == keras + "/" + name)
        // Sizes without an official file use the 224 file, as Keras does.
        #expect(try WeightsSource.resolveImagenet(alpha: 0.35, size: 113, environment: environment) == keras + "/" + name)
        _ = FileManager.default.createFile(atPath: cache + "/" + name, contents: Data())
        #expect(try WeightsSource.resolveImagenet(alpha: 0.35, size: 224, environment: environment) == cache + "/" + name)
        environment["IMGFEAT_WEIGHTS"] = root + "/explicit.h5"
        #expect(throws: ModelError.weightsNotFound(explicitFile: root + "/explicit.h5",
                                                   fileName: WeightsSource.imagenetFileName(alpha: 0.35, size: 224),
                                                   folders: [])) {
            try WeightsSource.resolveImagenet(alpha: 0.35, size: 224, environment: environment)
        }
        _ = FileManager.default.createFile(atPath: root + "/explicit.h5", contents: Data())
        #expect(try WeightsSource.resolveImagenet(alpha: 0.35, size: 224, environment: environment) == root + "/explicit.h5")
    }
}
