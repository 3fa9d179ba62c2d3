import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Every network kernel with float16 arithmetic (`KernelArithmetic.float16Products`, `.float16`) against
/// the float32 reference on fresh seeded inputs of awkward shapes, outputs poisoned, in the storage
/// formats the network gives it at fp16. Runs where the device has shaderFloat16 (lavapipe does); skipped
/// with a printed reason elsewhere.
@Suite struct Float16ArithmeticTests {
    static let arithmetics: [KernelArithmetic] = [.float16Products, .float16]

    /// Relative tolerance (of the largest |expected|): float16 operands and products carry 2⁻¹¹ relative
    /// error each, so sums of up to 320 products with float32 sums stay under 4e-3; float16 sums add up
    /// to 2⁻¹¹ of the running sum per step, which over 320 inputs reached 2.2e-2 here, so 3e-2.
    static func tolerance(_ arithmetic: KernelArithmetic) -> Float { arithmetic == .float16 ? 3e-2 : 4e-3 }

    /// The harness, or nil (with the reason printed) on a device without float16 arithmetic.
    static func harness() throws -> KernelHarness? {
        let h = try KernelHarness()
        guard h.context.float16ArithmeticEnabled else {
            print("Float16ArithmeticTests: skipped: \(h.context.info.name) has no shaderFloat16")
            return nil
        }
        return h
    }

    static let pointwiseCases: [(pixels: Int, cin: Int, cout: Int, residual: Bool)] = [
        (1, 1, 1, false), (13, 3, 127, false), (127, 13, 3, true), (67, 96, 576, false), (98, 320, 1280, false),
        (13, 8, 12, true), (127, 24, 144, false),
    ]
    static let pointwiseRuns = pointwiseCases.indices.flatMap { c in
        arithmetics.flatMap { a in KernelTests.gemmVariants.map { (c, a, $0) } }
    }

    @Test(arguments: pointwiseRuns)
    func pointwise(_ index: Int, arithmetic: KernelArithmetic, variant: PointwiseConv.Vulkan.Variant) throws {
        guard let h = try Self.harness() else { return }
        let shape = Self.pointwiseCases[index]
        let relu6 = !shape.residual  // as in the network: expand (ReLU6, unorm16 out) or project (+residual, float32)
        let seed = UInt64(shape.pixels * 1000 + shape.cin * 10 + shape.cout) + 7
        let layer = ConvLayer(name: "pw", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: shape.cin,
                              outChannels: shape.cout, relu6: relu6,
                              weights: randomFloats(shape.cin * shape.cout, in: -0.5...0.5, seed: seed),
                              bias: randomFloats(shape.cout, seed: seed + 1))
        let formats = relu6 ? Formats(input: .float32, output: .unorm16) : Formats(input: .unorm16, output: .float32)
        let x = Tensor(batch: 1, height: 1, width: shape.pixels, channels: shape.cin,
                       data: formats.inputs(shape.pixels * shape.cin, in: -3...3, seed: seed + 2))
        let residual = shape.residual
            ? Tensor(batch: 1, height: 1, width: shape.pixels, channels: shape.cout,
                     data: randomFloats(shape.pixels * shape.cout, seed: seed + 3)) : nil
        let expected = PointwiseConv.reference(x, layer, residual: residual)
        let output = try h.poisonedOutput(expected.data.count, formats.output)
        try PointwiseConv.Vulkan(context: h.context).record(
            h.sequence, layer: layer, pixels: shape.pixels, input: h.input(x.data, formats.input),
            inputFormat: formats.input, weights: h.float32(layer.weights), bias: h.float32(layer.bias),
            residual: residual.map { try h.input($0.data, formats.output) }, output: BufferBinding(output),
            outputFormat: formats.output, arithmetic: arithmetic, variant: variant)
        let (got, guardIntact) = try h.finish(output, count: expected.data.count, formats.output)
        expectClose(got, expected.data, tolerance: Self.tolerance(arithmetic),
                    "pointwise \(shape) \(formats.testDescription) \(variant) \(arithmetic)")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }

    static let windowCases: [(kind: ConvLayer.Kind, channels: Int, stride: Int, height: Int, width: Int)] = [
        (.depthwise, 1, 1, 7, 5), (.depthwise, 13, 2, 8, 8), (.depthwise, 127, 1, 5, 3), (.depthwise, 24, 1, 7, 5),
        (.depthwise, 96, 2, 8, 14), (.full, 13, 2, 13, 13), (.full, 32, 2, 16, 16), (.full, 12, 1, 5, 7),
    ]
    static let windowRuns = windowCases.indices.flatMap { c in
        arithmetics.flatMap { a in [true, false].map { (c, a, $0) } }
    }

    /// Depthwise (unorm16 in and out, as in the network) and stem (float32 input, unorm16 out).
    @Test(arguments: windowRuns)
    func windowed(_ index: Int, arithmetic: KernelArithmetic, vectorized: Bool) throws {
        guard let h = try Self.harness() else { return }
        let shape = Self.windowCases[index]
        let c = shape.channels, cin = shape.kind == .full ? 3 : c
        let seed = UInt64(c * 100 + shape.stride * 10 + shape.height) + 11
        let layer = ConvLayer(name: shape.kind == .full ? "Conv1" : "dw", kind: shape.kind, kernelSize: 3, stride: shape.stride,
                              inChannels: cin, outChannels: c, relu6: true,
                              weights: randomFloats(9 * cin * (shape.kind == .full ? c : 1), in: -0.5...0.5, seed: seed),
                              bias: randomFloats(c, seed: seed + 1))
        let formats = Formats(input: shape.kind == .full ? .float32 : .unorm16, output: .unorm16)
        let batch = 2
        let x = Tensor(batch: batch, height: shape.height, width: shape.width, channels: cin,
                       data: formats.inputs(batch * shape.height * shape.width * cin, in: -1...1, seed: seed + 2))
        let expected = shape.kind == .full ? StemConv.reference(x, layer) : DepthwiseConv.reference(x, layer)
        let output = try h.poisonedOutput(expected.data.count, formats.output)
        let launcher: WindowedConvLauncher = shape.kind == .full
            ? StemConv.Vulkan(context: h.context, vectorized: vectorized) : DepthwiseConv.Vulkan(context: h.context, vectorized: vectorized)
        try launcher.record(h.sequence, layer: layer, batch: batch, height: shape.height, width: shape.width,
                            input: h.input(x.data, formats.input), inputFormat: formats.input, weights: h.float32(layer.weights),
                            bias: h.float32(layer.bias), output: BufferBinding(output), outputFormat: formats.output,
                            arithmetic: arithmetic)
        let (got, guardIntact) = try h.finish(output, count: expected.data.count, formats.output)
        expectClose(got, expected.data, tolerance: Self.tolerance(arithmetic),
                    "\(shape) \(arithmetic)\(vectorized && c % 4 == 0 ? " vec4" : "")")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }

    /// The whole network at fp16 with its float16 arithmetic (`VulkanPrecision.arithmetic(for:)`) and
    /// without, on the Keras fixture (alpha 0.35 / 96): both within the issue's 1e-2 of Keras' features
    /// (measured 1.6e-3 and 1.0e-3, docs/VULKAN.md), and different from each other, so the float16
    /// kernels did run.
    @Test func networkMatchesKeras() throws {
        guard let h = try Self.harness() else { return }
        let set = KerasModelFixtureSet.committed
        let entry = try #require(try set.manifest().cases.first { $0.name == "a035_s96" })
        let model = try loadModel(.file(set.path(try #require(entry.files["legacy_no_top"]))), alpha: entry.alpha, inputSize: entry.size)
        let input = Tensor(batch: entry.count, height: entry.size, width: entry.size, channels: 3, data: try set.floats(entry.inputs))
        let keras = try set.floats(entry.features)
        var features: [Bool: [Float]] = [:]
        for float16 in [true, false] {
            let paths = float16 ? VulkanFastPaths.all : VulkanFastPaths.all.subtracting(.float16Arithmetic)
            let engine = try VulkanEngine(model: model, context: h.context, precision: .fp16, batchSize: 2, fastPaths: paths)
            let got = try engine.features(input)
            expectClose(got, keras, tolerance: 1e-2, "fp16 network, float16 arithmetic \(float16 ? "on" : "off"), vs Keras")
            features[float16] = got
        }
        #expect(features[true] != features[false], "float16 arithmetic on and off gave the same features")
        #expect(try validationMessages() == [])
    }

    @Test(arguments: [(1, 1, 1), (13, 13, 1280), (49, 320, 1280), (13, 127, 13)], arithmetics)
    func headPool(_ shape: (pixels: Int, cin: Int, cout: Int), arithmetic: KernelArithmetic) throws {
        guard let h = try Self.harness() else { return }
        let batch = 3, seed = UInt64(shape.pixels * 100_000 + shape.cin * 100 + shape.cout) + 5
        let layer = ConvLayer(name: "Conv_1", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: shape.cin,
                              outChannels: shape.cout, relu6: true,
                              weights: randomFloats(shape.cin * shape.cout, in: -0.5...0.5, seed: seed),
                              bias: randomFloats(shape.cout, seed: seed + 1))
        let x = Tensor(batch: batch, height: 1, width: shape.pixels, channels: shape.cin,
                       data: randomFloats(batch * shape.pixels * shape.cin, in: -3...3, seed: seed + 2))
        let expected = HeadPool.reference(x, layer)
        let output = try h.poisonedOutput(expected.count, .float32)
        try HeadPool.Vulkan(context: h.context).record(
            h.sequence, layer: layer, batch: batch, pixels: shape.pixels, input: h.input(x.data, .float32),
            inputFormat: .float32, weights: h.float32(layer.weights), bias: h.float32(layer.bias),
            output: BufferBinding(output), arithmetic: arithmetic)
        let (got, guardIntact) = try h.finish(output, count: expected.count, .float32)
        expectClose(got, expected, tolerance: Self.tolerance(arithmetic), "head pool \(shape) \(arithmetic)")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }
}
