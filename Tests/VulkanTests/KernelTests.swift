import Model
import Testing
import VulkanRuntime

/// Each shader against its CPU reference on fresh seeded inputs of awkward shapes, outputs poisoned.
@Suite struct KernelTests {
    struct DepthwiseCase: Sendable, CustomTestStringConvertible {
        let channels, stride, height, width: Int
        var testDescription: String { "c\(channels) s\(stride) \(height)x\(width)" }
    }

    static let depthwiseCases = [
        DepthwiseCase(channels: 1, stride: 1, height: 7, width: 5), DepthwiseCase(channels: 3, stride: 2, height: 9, width: 6),
        DepthwiseCase(channels: 13, stride: 2, height: 8, width: 8), DepthwiseCase(channels: 127, stride: 1, height: 5, width: 3),
        DepthwiseCase(channels: 13, stride: 1, height: 1, width: 1), DepthwiseCase(channels: 3, stride: 2, height: 13, width: 1),
    ]

    @Test(arguments: depthwiseCases, VulkanPrecision.allCases)
    func depthwise(_ shape: DepthwiseCase, precision: VulkanPrecision) throws {
        let c = shape.channels, seed = UInt64(c * 100 + shape.stride * 10 + shape.height)
        let layer = ConvLayer(name: "dw", kind: .depthwise, kernelSize: 3, stride: shape.stride, inChannels: c,
                              outChannels: c, relu6: shape.channels != 1,
                              weights: randomFloats(9 * c, seed: seed),
                              bias: randomFloats(c, seed: seed + 1))
        let batch = 2
        let x = Tensor(batch: batch, height: shape.height, width: shape.width, channels: c,
                       data: stored(randomFloats(batch * shape.height * shape.width * c, in: -4...4, seed: seed + 2), precision))
        let expected = DepthwiseConv.reference(x, layer)
        let h = try KernelHarness(precision: precision)
        let output = try h.poisonedOutput(expected.data.count)
        try DepthwiseConv.Vulkan(context: h.context, precision: precision).record(
            h.sequence, layer: layer, batch: batch, height: shape.height, width: shape.width,
            input: h.input(x.data), weights: h.float32(layer.weights), bias: h.float32(layer.bias),
            output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: expected.data.count)
        expectClose(got, expected.data, precision, "depthwise \(shape.testDescription)")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }

    struct PointwiseCase: Sendable, CustomTestStringConvertible {
        let pixels, cin, cout: Int
        let residual, relu6: Bool
        var testDescription: String { "\(pixels)px \(cin)->\(cout)\(residual ? " +res" : "")\(relu6 ? " relu6" : "")" }
    }

    static let pointwiseCases = [
        PointwiseCase(pixels: 1, cin: 1, cout: 1, residual: false, relu6: true),
        PointwiseCase(pixels: 13, cin: 3, cout: 127, residual: false, relu6: true),
        PointwiseCase(pixels: 127, cin: 13, cout: 3, residual: true, relu6: false),
        PointwiseCase(pixels: 200, cin: 127, cout: 13, residual: true, relu6: false),
        PointwiseCase(pixels: 67, cin: 96, cout: 576, residual: false, relu6: true),
        PointwiseCase(pixels: 98, cin: 320, cout: 1280, residual: false, relu6: true),
    ]

    // Both GEMM variants on every device: shared-memory tiles and direct reads.
    static let pointwiseVariants: [(precision: VulkanPrecision, sharedTiles: Bool)] = [(.fp32, true), (.fp32, false), (.fp16, true), (.fp16, false)]

    @Test(arguments: pointwiseCases, pointwiseVariants)
    func pointwise(_ shape: PointwiseCase, variant: (precision: VulkanPrecision, sharedTiles: Bool)) throws {
        let precision = variant.precision
        let seed = UInt64(shape.pixels * 1000 + shape.cin * 10 + shape.cout)
        let layer = ConvLayer(name: "pw", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: shape.cin,
                              outChannels: shape.cout, relu6: shape.relu6,
                              weights: randomFloats(shape.cin * shape.cout, seed: seed),
                              bias: randomFloats(shape.cout, seed: seed + 1))
        let x = Tensor(batch: 1, height: 1, width: shape.pixels, channels: shape.cin,
                       data: stored(randomFloats(shape.pixels * shape.cin, in: -3...3, seed: seed + 2), precision))
        let residual = shape.residual
            ? Tensor(batch: 1, height: 1, width: shape.pixels, channels: shape.cout,
                     data: stored(randomFloats(shape.pixels * shape.cout, seed: seed + 3), precision)) : nil
        let expected = PointwiseConv.reference(x, layer, residual: residual)
        let h = try KernelHarness(precision: precision)
        let output = try h.poisonedOutput(expected.data.count)
        try PointwiseConv.Vulkan(context: h.context, precision: precision, sharedTiles: variant.sharedTiles).record(
            h.sequence, layer: layer, pixels: shape.pixels, input: h.input(x.data), weights: h.float32(layer.weights),
            bias: h.float32(layer.bias), residual: residual.map { try h.input($0.data) }, output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: expected.data.count)
        expectClose(got, expected.data, precision, "pointwise \(shape.testDescription) shared tiles \(variant.sharedTiles)")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }

    struct StemCase: Sendable, CustomTestStringConvertible {
        let height, width, cout, stride: Int
        var testDescription: String { "\(height)x\(width) ->\(cout) s\(stride)" }
    }

    static let stemCases = [
        StemCase(height: 9, width: 7, cout: 8, stride: 2), StemCase(height: 13, width: 13, cout: 13, stride: 2),
        StemCase(height: 4, width: 6, cout: 3, stride: 1), StemCase(height: 1, width: 1, cout: 1, stride: 2),
        StemCase(height: 16, width: 16, cout: 32, stride: 2),
    ]

    @Test(arguments: stemCases, VulkanPrecision.allCases)
    func stem(_ shape: StemCase, precision: VulkanPrecision) throws {
        let seed = UInt64(shape.height * 100 + shape.width * 10 + shape.cout)
        let layer = ConvLayer(name: "Conv1", kind: .full, kernelSize: 3, stride: shape.stride, inChannels: 3,
                              outChannels: shape.cout, relu6: true,
                              weights: randomFloats(27 * shape.cout, seed: seed),
                              bias: randomFloats(shape.cout, seed: seed + 1))
        let batch = 3
        let x = Tensor(batch: batch, height: shape.height, width: shape.width, channels: 3,
                       data: stored(randomFloats(batch * shape.height * shape.width * 3, seed: seed + 2), precision))
        let expected = StemConv.reference(x, layer)
        let h = try KernelHarness(precision: precision)
        let output = try h.poisonedOutput(expected.data.count)
        try StemConv.Vulkan(context: h.context, precision: precision).record(
            h.sequence, layer: layer, batch: batch, height: shape.height, width: shape.width,
            input: h.input(x.data), weights: h.float32(layer.weights), bias: h.float32(layer.bias),
            output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: expected.data.count)
        expectClose(got, expected.data, precision, "stem \(shape.testDescription)")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }

    @Test(arguments: [(1, 1, 1), (3, 49, 1280), (2, 13, 127), (1, 127, 3)], VulkanPrecision.allCases)
    func globalAveragePool(_ shape: (batch: Int, pixels: Int, channels: Int), precision: VulkanPrecision) throws {
        let (batch, pixels, channels) = shape
        let x = Tensor(batch: batch, height: 1, width: pixels, channels: channels,
                       data: stored(randomFloats(batch * pixels * channels, in: 0...6, seed: UInt64(pixels * channels)), precision))
        let expected = GlobalAveragePool.reference(x)
        let h = try KernelHarness(precision: precision)
        let output = try h.poisonedOutput(expected.count, elementSize: 4)
        try GlobalAveragePool.Vulkan(context: h.context, precision: precision).record(
            h.sequence, batch: batch, pixels: pixels, channels: channels, input: h.input(x.data),
            output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: expected.count, float32: true)
        // The sum stays float32 on the device: the result is within fp32 rounding whatever the storage.
        expectClose(got, expected, .fp32, "pool \(shape)")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }
}
