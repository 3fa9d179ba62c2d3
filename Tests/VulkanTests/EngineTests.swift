import Imaging
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The whole network on the device against the reference engine.
@Suite struct EngineTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let alpha: Double
        let size: Int
        let batch: Int
        let precision: VulkanPrecision
        var testDescription: String { "alpha \(alpha) size \(size) batch \(batch) \(precision.rawValue)" }
    }

    // Batch sizes above the engine's batch (3) exercise the double-buffered slots.
    static let cases = [
        Case(alpha: 0.35, size: 96, batch: 5, precision: .fp32),
        Case(alpha: 0.35, size: 96, batch: 2, precision: .fp16),
        Case(alpha: 1.0, size: 224, batch: 1, precision: .fp32),
    ]

    @Test(arguments: cases)
    func preprocessedInputMatchesReference(_ c: Case) throws {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: c.alpha, inputSize: c.size), seed: 11)
        let input = Tensor(batch: c.batch, height: c.size, width: c.size, channels: 3,
                           data: randomFloats(c.batch * c.size * c.size * 3, seed: 5))
        let expected = try ReferenceEngine(model: model).features(input)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: c.precision, batchSize: 3)
        let got = try engine.features(stored(input.data, c.precision).withTensorShape(of: input))
        expectClose(got, expected, c.precision, "features \(c.testDescription)")
        #expect(engine.name.hasPrefix("vulkan: "))
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
            #expect(profile.stages.contains { $0.name == model.head.name && $0.flops > 0 })
        }
        #expect(try validationMessages() == [])
    }
}

extension Array where Element == Float {
    /// These values in a tensor of `other`'s shape.
    func withTensorShape(of other: Tensor) -> Tensor {
        Tensor(batch: other.batch, height: other.height, width: other.width, channels: other.channels, data: self)
    }
}
