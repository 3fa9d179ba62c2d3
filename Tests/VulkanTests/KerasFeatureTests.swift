import Foundation
import Imaging
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The Vulkan engine against Keras' own MobileNetV2 features (scripts/fixtures/keras_model.py) for
/// the same weights files.
@Suite struct VulkanKerasFeatureTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let generated: Bool
        let precision: VulkanPrecision
        var testDescription: String { "\(name) \(precision.rawValue)" }
    }

    static let cases = [
        Case(name: "a035_s96", generated: false, precision: .fp32),
        Case(name: "a035_s96", generated: false, precision: .fp16),
        Case(name: "a050_s113", generated: true, precision: .fp32),
        Case(name: "a100_s224", generated: true, precision: .fp32),
    ]

    static func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    @Test(arguments: cases)
    func featuresMatchKeras(_ c: Case) throws {
        let set = c.generated ? KerasModelFixtureSet.generated : .committed
        let manifest = try set.manifest()
        let entry = try #require(manifest.cases.first { $0.name == c.name }, "\(c.name) not in \(set.directory.path)/manifest.json")
        let weights = try #require(entry.files["legacy_no_top"])
        let model = try loadModel(.file(set.path(weights)), alpha: entry.alpha, inputSize: entry.size)
        let inputs = try set.floats(entry.inputs)
        let expected = try set.floats(entry.features)
        #expect(expected.count == entry.count * entry.featureDimension)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: c.precision, batchSize: 2)
        let got = try engine.features(Tensor(batch: entry.count, height: entry.size, width: entry.size,
                                             channels: 3, data: inputs))
        // README / docs/MODEL.md: within 1e-4 relative of Keras in float32; the issue's 1e-2 at fp16 (measured 1.0e-3
        // with these weights, docs/VULKAN.md).
        if let bad = firstMismatch(got, expected, relativeTolerance: c.precision == .fp32 ? 1e-4 : 1e-2) {
            let scale = expected.map { abs($0) }.max() ?? 1
            let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
            Issue.record("\(c.testDescription): first mismatch at \(bad.index): expected \(bad.expected), got \(bad.got); max relative error \(worst / scale)")
        }
        #expect(try validationMessages() == [])
    }

    struct ImageManifest: Decodable {
        struct Image: Decodable { let name: String; let file: String }
        let images: [Image]
    }

    /// The fixture weights on every committed fixture JPEG (decoded, resized on the device) against the
    /// reference engine on the CPU-preprocessed images: each image's features within 1e-5 of its own
    /// scale at fp32 and 1e-2 at fp16 (measured at most 3.2e-3, docs/VULKAN.md).
    @Test(arguments: VulkanPrecision.allCases)
    func fixtureImagesMatchReference(_ precision: VulkanPrecision) throws {
        let folder = fixturesDirectory.appendingPathComponent("model")
        let model = try loadModel(.file(folder.appendingPathComponent("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5").path),
                                  alpha: 0.35, inputSize: 96)
        let imageFolder = fixturesDirectory.appendingPathComponent("images")
        let manifest = try JSONDecoder().decode(ImageManifest.self,
                                                from: Data(contentsOf: imageFolder.appendingPathComponent("manifest.json")))
        let images = try manifest.images.map {
            try JPEGDecoder.decode([UInt8](Data(contentsOf: imageFolder.appendingPathComponent($0.file))), name: $0.file)
        }
        #expect(images.count >= 16)  // the committed subset's good images (scripts/fixtures/images.py)
        let size = model.config.inputSize
        let input = Tensor(batch: images.count, height: size, width: size, channels: 3,
                           data: images.flatMap { ModelInput.preprocess($0, size: size) })
        let expected = try ReferenceEngine(model: model).features(input)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: precision, batchSize: 8)
        let got = try engine.features(images: images)
        let d = model.featureDimension
        for (i, image) in manifest.images.enumerated() {
            expectClose(Array(got[i * d..<(i + 1) * d]), Array(expected[i * d..<(i + 1) * d]), precision,
                        "\(image.name) \(precision.rawValue)")
        }
        #expect(try validationMessages() == [])
    }
}
