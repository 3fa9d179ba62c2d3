import Imaging
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The whole network on the device against the reference engine.
@Suite struct EngineTests {
    // Batch sizes above the engine's batch (3) exercise the double-buffered slots. fp16 (16-bit storage
    // of the wide ReLU6 tensors) is held to 1e-2 at alpha 0.35 and 1.0; these seeded random weights
    // measure 3e-5–2e-4 (docs/VULKAN.md).
    static let cases = [
        NetworkCase(alpha: 0.35, size: 96, batch: 5, precision: .fp32),
        NetworkCase(alpha: 0.35, size: 96, batch: 2, precision: .fp16),
        NetworkCase(alpha: 0.35, size: 32, batch: 3, precision: .fp16),
        NetworkCase(alpha: 1.0, size: 64, batch: 4, precision: .fp16),
        NetworkCase(alpha: 1.0, size: 224, batch: 1, precision: .fp32),
    ]

    @Test(arguments: cases)
    func preprocessedInputMatchesReference(_ c: NetworkCase) throws {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: c.alpha, inputSize: c.size), seed: 11)
        let input = Tensor(batch: c.batch, height: c.size, width: c.size, channels: 3,
                           data: randomFloats(c.batch * c.size * c.size * 3, seed: 5))
        let expected = try ReferenceEngine(model: model).features(input)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: c.precision, batchSize: 3)
        let got = try engine.features(stored(input.data, c.precision).withTensorShape(of: input))
        expectClose(got, expected, c.precision, "features \(c.testDescription)")
        if c.precision == .fp16 {
            // 16-bit storage must still be storage the reference does not do: fp16 is not fp32 in disguise.
            #expect(relativeError(got, expected) > 1e-6, "fp16 features equal the reference within float32 rounding")
        }
        #expect(engine.name == "vulkan: \(try vulkanContext().info.name)", "engine name \(engine.name)")
        #expect(try validationMessages() == [])
    }

    /// A batch refused while it is being started (here a tensor of another input size) leaves nothing in
    /// flight: the same engine then computes the next batch as the reference does.
    @Test func aRefusedBatchLeavesTheEngineUsable() throws {
        let size = 32
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: size), seed: 7)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), batchSize: 2)
        let good = PreprocessTests.randomImage(width: 40, height: 30, seed: 8)
        let wrong = Tensor(batch: 1, height: 16, width: 16, channels: 3, data: randomFloats(16 * 16 * 3, seed: 9))
        #expect(throws: ModelError.self) { try engine.features(wrong) }
        let input = Tensor(batch: 1, height: size, width: size, channels: 3, data: ModelInput.preprocess(good, size: size))
        expectClose(try engine.features(images: [good]), try ReferenceEngine(model: model).features(input), .fp32,
                    "features after a refused batch")
        #expect(try validationMessages() == [])
    }

    @Test func imagesResizedOnDeviceMatchReferenceOnCPUPreprocessing() throws {
        let size = 96
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: size), seed: 3)
        let images = [(3, 2), (96, 96), (130, 70), (41, 200), (640, 480)].enumerated().map {
            PreprocessTests.randomImage(width: $1.0, height: $1.1, seed: UInt64(40 + $0))
        }
        let input = Tensor(batch: images.count, height: size, width: size, channels: 3,
                           data: images.flatMap { ModelInput.preprocess($0, size: size) })
        let expected = try ReferenceEngine(model: model).features(input)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), batchSize: 2)
        engine.profiling = true
        let got = try engine.features(images: images)
        expectClose(got, expected, .fp32, "features of images")
        let profile = try #require(engine.lastProfile)
        #expect(profile.images == images.count)
        #expect(profile.batches == 3)
        if engine.context.info.supportsTimestamps {
            #expect(profile.stages.contains { $0.name == "preprocess" })
            #expect(profile.stages.contains { $0.name == "\(model.head.name) + pool" && $0.flops > 0 })
            expectNetworkFlops(profile, model, images: images.count)
        }
        #expect(try validationMessages() == [])
    }

    /// Both head modes (fused head_pool.comp; pointwise then pool) at both precisions against the
    /// reference, with the profile labels each one reports.
    @Test(arguments: [HeadPool.Mode.fused, .separate], VulkanPrecision.allCases)
    func headModesMatchReference(mode: HeadPool.Mode, precision: VulkanPrecision) throws {
        let size = 64
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.5, inputSize: size), seed: 21)
        let input = Tensor(batch: 3, height: size, width: size, channels: 3,
                           data: randomFloats(3 * size * size * 3, seed: 22))
        let expected = try ReferenceEngine(model: model).features(input)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: precision, batchSize: 2,
                                      headPool: mode)
        engine.profiling = true
        let got = try engine.features(input)
        expectClose(got, expected, precision, "features, head \(mode), \(precision.rawValue)")
        let profile = try #require(engine.lastProfile)
        if engine.context.info.supportsTimestamps {
            let names = Set(profile.stages.map(\.name))
            switch mode {
            case .fused:
                #expect(names.contains("\(model.head.name) + pool") && !names.contains(model.head.name) && !names.contains("pool"))
            case .separate:
                #expect(names.contains(model.head.name) && names.contains("pool") && !names.contains("\(model.head.name) + pool"))
            }
            expectNetworkFlops(profile, model, images: input.batch)
        }
        #expect(try validationMessages() == [])
    }

    /// The profile's network stages carry every layer's and the pool's operations exactly once, whatever
    /// the stages are called (`flopsPerImage` keys must match the timestamp labels).
    func expectNetworkFlops(_ profile: VulkanProfile, _ model: FoldedMobileNetV2, images: Int,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        var size = model.config.inputSize, expected = 0.0
        for layer in model.layers {
            let out = layer.outputSize(inputSize: size)
            let perPixel = layer.kind == .depthwise ? layer.inChannels * layer.kernelSize * layer.kernelSize
                : layer.inChannels * layer.outChannels * layer.kernelSize * layer.kernelSize
            expected += 2 * Double(out * out * perPixel)
            size = out
        }
        expected += Double(size * size * model.featureDimension)
        let got = profile.stages.filter { !["upload", "download", "preprocess", "start"].contains($0.name) }
            .reduce(0) { $0 + $1.flops }
        #expect(abs(got - expected * Double(images)) <= 1e-9 * expected * Double(images),
                "network stages carry \(got) FLOP, expected \(expected * Double(images))", sourceLocation: sourceLocation)
    }
}

extension Array where Element == Float {
    /// These values in a tensor of `other`'s shape.
    func withTensorShape(of other: Tensor) -> Tensor {
        Tensor(batch: other.batch, height: other.height, width: other.width, channels: other.channels, data: self)
    }
}
