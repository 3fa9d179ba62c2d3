import Foundation
import Imaging
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Where the fp16 error comes from (docs/VULKAN.md, "fp16"): the reference network in float32 with chosen
/// tensors rounded through a storage format after every layer that writes them, against the plain
/// reference and Keras, then the Vulkan engine itself. A measurement, not a check: it prints a table and
/// runs only with IMGFEAT_PRECISION_STUDY=1 (about a minute on lavapipe):
/// `IMGFEAT_PRECISION_STUDY=1 swift test --filter PrecisionStudy 2>&1 | grep study:`
@Suite(.enabled(if: ProcessInfo.processInfo.environment["IMGFEAT_PRECISION_STUDY"] == "1"))
struct PrecisionStudy {
    /// The network's tensors by role: input, stem output, expand outputs, depthwise outputs, projection
    /// outputs (the residual stream), head output before the pool.
    enum Tensor16: String, CaseIterable { case input, stem, expand, depthwise, project, head }

    /// Reference features with each tensor in `storage` rounded through its format, and each role's layers
    /// computed in `arithmetic` (float32 where absent).
    static func emulate(_ model: FoldedMobileNetV2, _ input: Tensor, _ storage: [Tensor16: StorageFormat],
                        arithmetic: [LayerRole: EmulatedArithmetic] = [:]) -> [Float] {
        func r(_ t: Tensor, _ role: Tensor16) -> Tensor {
            guard let format = storage[role] else { return t }
            var t = t
            t.data = t.data.map(format.stored)
            return t
        }
        func conv(_ x: Tensor, _ layer: ConvLayer, _ role: LayerRole, residual: Tensor? = nil) -> Tensor {
            if let mode = arithmetic[role], mode != .float32 { return mode.conv(x, layer, residual: residual) }
            switch layer.kind {
            case .full: return StemConv.reference(x, layer)
            case .depthwise: return DepthwiseConv.reference(x, layer)
            case .pointwise: return PointwiseConv.reference(x, layer, residual: residual)
            }
        }
        var x = r(conv(r(input, .input), model.stem, .stem), .stem)
        for block in model.blocks {
            let blockInput = x
            if let expand = block.expand { x = r(conv(x, expand, .expand), .expand) }
            x = r(conv(x, block.depthwise, .depthwise), .depthwise)
            x = r(conv(x, block.project, .project, residual: block.residual ? blockInput : nil), .project)
        }
        return GlobalAveragePool.reference(r(conv(x, model.head, .head), .head))
    }

    static func all(_ format: StorageFormat, except: [Tensor16] = []) -> [Tensor16: StorageFormat] {
        Dictionary(uniqueKeysWithValues: Tensor16.allCases.filter { !except.contains($0) }.map { ($0, format) })
    }

    /// (whole-batch relative error, largest per-image relative error)
    static func errors(_ got: [Float], _ expected: [Float], dimension: Int) -> (Float, Float) {
        let perImage = stride(from: 0, to: got.count, by: dimension).map {
            relativeError(Array(got[$0..<$0 + dimension]), Array(expected[$0..<$0 + dimension]))
        }
        return (relativeError(got, expected), perImage.max() ?? 0)
    }

    /// The fixture weights (alpha 0.35 / 96), the 2 Keras inputs then the 17 fixture JPEGs, and Keras'
    /// features of the 2 inputs.
    static func fixtureCase() throws -> (model: FoldedMobileNetV2, input: Tensor, keras: [Float]) {
        let folder = fixturesDirectory.appendingPathComponent("model")
        let model = try loadModel(.file(folder.appendingPathComponent("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5").path),
                                  alpha: 0.35, inputSize: 96)
        let kerasInputs = try VulkanKerasFeatureTests.floats(folder.appendingPathComponent("a035_s96_inputs.f32"))
        let keras = try VulkanKerasFeatureTests.floats(folder.appendingPathComponent("a035_s96_features.f32"))
        let imageFolder = fixturesDirectory.appendingPathComponent("images")
        let manifest = try JSONDecoder().decode(VulkanKerasFeatureTests.ImageManifest.self,
                                                from: Data(contentsOf: imageFolder.appendingPathComponent("manifest.json")))
        let images = try manifest.images.map {
            ModelInput.preprocess(try JPEGDecoder.decode([UInt8](Data(contentsOf: imageFolder.appendingPathComponent($0.file))), name: $0.file), size: 96)
        }
        let input = Tensor(batch: 2 + images.count, height: 96, width: 96, channels: 3, data: kerasInputs + images.flatMap { $0 })
        return (model, input, keras)
    }

    /// `label` and three errors of `got`: vs Keras (first 2 images), vs `reference` (all), worst image.
    static func report(_ label: String, _ got: [Float], keras: [Float], reference: [Float], dimension d: Int) {
        let k = relativeError(Array(got.prefix(2 * d)), keras)
        let (all, worst) = errors(got, reference, dimension: d)
        print("study: " + label.padding(toLength: 58, withPad: " ", startingAt: 0) + String(format: "%9.2e %9.2e %9.2e", k, all, worst))
    }

    @Test func fixtureWeights() throws {
        let (model, input, keras) = try Self.fixtureCase()
        let images = Array(repeating: 0, count: input.batch - 2)
        let reference = try ReferenceEngine(model: model).features(input)
        let d = model.featureDimension
        print("study: fixture weights a0.35/96; 2 Keras inputs + \(images.count) fixture JPEGs. Columns: vs Keras (2 inputs), vs reference (all), worst image vs reference")
        func report(_ label: String, _ got: [Float]) { Self.report(label, got, keras: keras, reference: reference, dimension: d) }
        report("reference float32", reference)
        report("float16 everywhere (the old fp16)", Self.emulate(model, input, Self.all(.float16)))
        for role in Tensor16.allCases { report("float16 \(role) only", Self.emulate(model, input, [role: .float16])) }
        report("float16 expand + depthwise (input, stem, stream float32)", Self.emulate(model, input, [.expand: .float16, .depthwise: .float16]))
        report("float16 stem + expand + depthwise + head", Self.emulate(model, input, [.stem: .float16, .expand: .float16, .depthwise: .float16, .head: .float16]))
        let new: [Tensor16: StorageFormat] = [.stem: .unorm16, .expand: .unorm16, .depthwise: .unorm16]
        report("unorm16 stem + expand + depthwise (the new fp16)", Self.emulate(model, input, new))
        report("  same, head stored (unfused) as unorm16", Self.emulate(model, input, new.merging([.head: .unorm16]) { a, _ in a }))
        report("  same, input float16", Self.emulate(model, input, new.merging([.input: .float16]) { a, _ in a }))
        report("  same, stream float16", Self.emulate(model, input, new.merging([.project: .float16]) { a, _ in a }))
        for precision in VulkanPrecision.allCases {
            let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: precision, batchSize: 8,
                                          fastPaths: VulkanFastPaths.all.subtracting(.float16Arithmetic))
            let got = try engine.features(input)
            report("Vulkan engine \(precision.rawValue) (fused head, float32 arithmetic)", got)
            // The study's conclusions rest on the engine doing what the emulation says.
            let (all, worst) = Self.errors(got, reference, dimension: d)
            #expect(precision == .fp32 ? all <= 1e-5 : worst <= 1e-2, "\(precision.rawValue): \(all), worst image \(worst)")
            if precision == .fp16 {
                let emulated = Self.emulate(model, input, new)
                #expect(relativeError(got, emulated) <= 1e-4, "fp16 engine vs its emulation: \(relativeError(got, emulated))")
            }
        }
    }

    /// Which kernels can compute in float16 at `--precision fp16` (docs/VULKAN.md, "fp16 arithmetic"): fp16's
    /// storage (unorm16 ReLU6 outputs) with each role's arithmetic emulated, then the engine with float16
    /// arithmetic as `VulkanPrecision.arithmetic(for:)` chooses it, against that emulation.
    @Test func arithmetic() throws {
        let (model, input, keras) = try Self.fixtureCase()
        let reference = try ReferenceEngine(model: model).features(input)
        let d = model.featureDimension
        func report(_ label: String, _ got: [Float]) { Self.report(label, got, keras: keras, reference: reference, dimension: d) }
        let storage: [Tensor16: StorageFormat] = [.stem: .unorm16, .expand: .unorm16, .depthwise: .unorm16]
        func run(_ label: String, _ arithmetic: [LayerRole: EmulatedArithmetic]) {
            report(label, Self.emulate(model, input, storage, arithmetic: arithmetic))
        }
        func every(_ mode: EmulatedArithmetic) -> [LayerRole: EmulatedArithmetic] {
            Dictionary(uniqueKeysWithValues: LayerRole.allCases.map { ($0, mode) })
        }
        print("study: arithmetic at fp16 storage (unorm16 stem, expand, depthwise outputs), fixture weights a0.35/96, \(input.batch) images. Columns: vs Keras (2 inputs), vs reference (all), worst image")
        run("float32 arithmetic (fp16 before)", [:])
        for mode in EmulatedArithmetic.allCases where mode != .float32 { run("\(mode) everywhere", every(mode)) }
        for mode in [EmulatedArithmetic.float16Products, .float16] {
            for role in LayerRole.allCases { run("\(mode) \(role) only", [role: mode]) }
        }
        for role in LayerRole.allCases { run("float16ScaledProducts \(role) only", [role: .float16ScaledProducts]) }
        run("float16ScaledProducts all but project", every(.float16ScaledProducts).filter { $0.key != .project })
        run("float16ScaledProducts depthwise + head", [.depthwise: .float16ScaledProducts, .head: .float16ScaledProducts])
        run("float16ScaledProducts stem + depthwise + head",
            [.stem: .float16ScaledProducts, .depthwise: .float16ScaledProducts, .head: .float16ScaledProducts])
        run("float16Products depthwise + head", [.depthwise: .float16Products, .head: .float16Products])
        run("float16Products stem + depthwise + head", [.stem: .float16Products, .depthwise: .float16Products, .head: .float16Products])
        run("float16Products all but project", every(.float16Products).filter { $0.key != .project })
        run("float16Products all but expand", every(.float16Products).filter { $0.key != .expand })
        run("float16 depthwise, float16Products head", [.depthwise: .float16, .head: .float16Products])
        run("hiLo expand + project, float16Products stem + depthwise + head",
            [.stem: .float16Products, .expand: .hiLo, .depthwise: .float16Products, .project: .hiLo, .head: .float16Products])
        let chosen = Dictionary(uniqueKeysWithValues: LayerRole.allCases.map { ($0, VulkanPrecision.fp16.arithmetic(for: $0)) })
        let context = try vulkanContext()
        guard context.float16ArithmeticEnabled else {
            print("study: \(context.info.name) has no shaderFloat16: the engine's float16 arithmetic not run")
            return
        }
        let engine = try VulkanEngine(model: model, context: context, precision: .fp16, batchSize: 8)
        let got = try engine.features(input)
        let emulated = Self.emulate(model, input, storage, arithmetic: chosen.mapValues(EmulatedArithmetic.init))
        report("chosen, emulated: " + LayerRole.allCases.map { "\($0) \(chosen[$0]!)" }.joined(separator: ", "), emulated)
        report("Vulkan engine fp16, float16 arithmetic as chosen", got)
        print("study: engine vs its emulation \(String(format: "%.2e", relativeError(got, emulated)))")
        #expect(relativeError(got, emulated) <= 1e-3, "fp16 engine vs its emulation: \(relativeError(got, emulated))")
    }

    @Test func randomWeights() throws {
        for (alpha, size) in [(0.35, 32), (0.35, 96), (1.0, 64), (1.0, 224)] {
            let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: alpha, inputSize: size), seed: 11)
            let input = Tensor(batch: 2, height: size, width: size, channels: 3, data: randomFloats(2 * size * size * 3, seed: 5))
            let reference = try ReferenceEngine(model: model).features(input)
            let old = Self.errors(Self.emulate(model, input, Self.all(.float16)), reference, dimension: model.featureDimension)
            let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: .fp16, batchSize: 2)
            let new = Self.errors(try engine.features(input), reference, dimension: model.featureDimension)
            print("study: random weights a\(alpha)/\(size), 2 images: float16 everywhere \(String(format: "%.2e", old.0)), Vulkan fp16 \(String(format: "%.2e", new.0))")
            #expect(new.0 <= 1e-2, "a\(alpha)/\(size): Vulkan fp16 vs reference \(new.0)")
        }
    }
}
