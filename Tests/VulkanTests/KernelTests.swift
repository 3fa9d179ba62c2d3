import Model
import Testing
import VulkanRuntime

/// Storage formats of a kernel's input and output, as a test argument.
struct Formats: Sendable, CustomTestStringConvertible {
    let input: StorageFormat
    let output: StorageFormat
    var testDescription: String { "\(input)->\(output)" }

    static let float32 = Formats(input: .float32, output: .float32)
    static let float16 = Formats(input: .float16, output: .float16)
    static let unorm16 = Formats(input: .unorm16, output: .unorm16)

    /// The combinations a kernel is tested in: float32, float16 and the unorm16 formats of `--precision fp16`
    /// (a unorm16 output only for a layer with ReLU6), plus the network's mixed ones given as `mixed`.
    static func all(relu6: Bool, mixed: [Formats] = []) -> [Formats] {
        [float32, float16] + (relu6 ? [unorm16] : []) + mixed.filter { $0.output != .unorm16 || relu6 }
    }

    /// Random inputs for `format`: `range`, or [0, 6] for unorm16 (which holds ReLU6 outputs only).
    func inputs(_ count: Int, in range: ClosedRange<Float>, seed: UInt64) -> [Float] {
        stored(randomFloats(count, in: input == .unorm16 ? 0...6 : range, seed: seed), input)
    }
}

/// Each shader against its CPU reference on fresh seeded inputs of awkward shapes, outputs poisoned.
@Suite struct KernelTests {
    struct DepthwiseCase: Sendable, CustomTestStringConvertible {
        let channels, stride, height, width: Int
        var relu6: Bool { channels != 1 }
        var testDescription: String { "c\(channels) s\(stride) \(height)x\(width)" }
    }

    static let depthwiseCases = [
        DepthwiseCase(channels: 1, stride: 1, height: 7, width: 5), DepthwiseCase(channels: 3, stride: 2, height: 9, width: 6),
        DepthwiseCase(channels: 13, stride: 2, height: 8, width: 8), DepthwiseCase(channels: 127, stride: 1, height: 5, width: 3),
        DepthwiseCase(channels: 13, stride: 1, height: 1, width: 1), DepthwiseCase(channels: 3, stride: 2, height: 13, width: 1),
        // Multiples of 4 (the vec4 variant): widths that fill no group of output columns, 1×1, stride 2.
        DepthwiseCase(channels: 4, stride: 1, height: 1, width: 1), DepthwiseCase(channels: 8, stride: 2, height: 13, width: 13),
        DepthwiseCase(channels: 24, stride: 1, height: 7, width: 5), DepthwiseCase(channels: 96, stride: 2, height: 8, width: 14),
    ]
    /// Output columns per vec4 invocation the windowed kernels are tested with (0: the scalar variant): 4
    /// (CPU drivers' default), 2 (GPUs'), 3 (a count that divides none of the widths), 1, and every count
    /// the launch tuning may choose; channel counts that are not a multiple of 4 run the scalar variant
    /// whatever is asked.
    static func columnChoices(_ channels: Int) -> [Int] {
        guard channels % 4 == 0 else { return [4] }
        let tuned = DepthwiseConv.Vulkan.columnAlternatives(on: .discreteGPU) + DepthwiseConv.Vulkan.columnAlternatives(on: .cpu)
        return ([4, 2, 3, 1] + tuned).reduce(into: []) { if !$0.contains($1) { $0.append($1) } } + [0]
    }

    static let depthwiseRuns = depthwiseCases.flatMap { c in
        Formats.all(relu6: c.relu6).flatMap { f in columnChoices(c.channels).map { (c, f, $0) } }
    }

    @Test(arguments: depthwiseRuns)
    func depthwise(_ shape: DepthwiseCase, formats: Formats, columns: Int) throws {
        let c = shape.channels, seed = UInt64(c * 100 + shape.stride * 10 + shape.height)
        let layer = ConvLayer(name: "dw", kind: .depthwise, kernelSize: 3, stride: shape.stride, inChannels: c,
                              outChannels: c, relu6: shape.relu6,
                              weights: randomFloats(9 * c, seed: seed),
                              bias: randomFloats(c, seed: seed + 1))
        let batch = 2
        let x = Tensor(batch: batch, height: shape.height, width: shape.width, channels: c,
                       data: formats.inputs(batch * shape.height * shape.width * c, in: -4...4, seed: seed + 2))
        let expected = DepthwiseConv.reference(x, layer)
        let h = try KernelHarness()
        let output = try h.poisonedOutput(expected.data.count, formats.output)
        // The column count given per call, as the launch tuning gives it.
        try DepthwiseConv.Vulkan(context: h.context, vectorized: columns > 0).record(
            h.sequence, layer: layer, batch: batch, height: shape.height, width: shape.width,
            input: h.input(x.data, formats.input), inputFormat: formats.input, weights: h.float32(layer.weights),
            bias: h.float32(layer.bias), output: BufferBinding(output), outputFormat: formats.output, columns: max(columns, 1))
        let (got, guardIntact) = try h.finish(output, count: expected.data.count, formats.output)
        expectClose(got, expected.data, tolerance: tolerance(formats.output),
                    "depthwise \(shape.testDescription) \(formats.testDescription)\(columns > 0 && c % 4 == 0 ? " vec4 ×\(columns)" : "")")
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
        // Multiples of 4 with a pixel count and channel groups that fill no tile: the vec4 variant's edges.
        PointwiseCase(pixels: 13, cin: 8, cout: 12, residual: true, relu6: false),
        PointwiseCase(pixels: 1, cin: 4, cout: 4, residual: false, relu6: true),
        PointwiseCase(pixels: 127, cin: 24, cout: 144, residual: false, relu6: true),
    ]
    /// The GEMM's variants, each run on every device: scalar with shared-memory tiles, scalar with direct
    /// reads, vec4 with the CPU drivers' tile and with each tile the launch tuning may choose on a GPU (vec4
    /// falls back to the scalar GEMM where a channel count is not a multiple of 4).
    static let gemmVariants: [PointwiseConv.Vulkan.Variant] = ([.scalar(sharedTiles: true), .scalar(sharedTiles: false), .vec4(.cpu)]
        + PointwiseConv.Vulkan.Variant.alternatives(on: .discreteGPU) + PointwiseConv.Vulkan.Variant.alternatives(on: .cpu))
        .reduce(into: []) { if !$0.contains($1) { $0.append($1) } }

    // The network's mixed formats at fp16: expand (float32 in, unorm16 out), project (unorm16 in, float32
    // out and residual).
    static let pointwiseRuns = pointwiseCases.flatMap { c in
        Formats.all(relu6: c.relu6, mixed: [Formats(input: .float32, output: .unorm16), Formats(input: .unorm16, output: .float32)])
            .flatMap { f in gemmVariants.map { (c, f, $0) } }
    }

    @Test(arguments: pointwiseRuns)
    func pointwise(_ shape: PointwiseCase, formats: Formats, variant: PointwiseConv.Vulkan.Variant) throws {
        try Self.checkPointwise(shape, formats: formats, variant: variant)
    }

    /// `shape` through the device's default launcher (on `context`, nil: the shared one), told which variant
    /// to run (as the launch tuning does), against the reference with the output poisoned; returns how many
    /// dispatches the launcher recorded.
    @discardableResult
    static func checkPointwise(_ shape: PointwiseCase, formats: Formats, variant: PointwiseConv.Vulkan.Variant,
                               context: VulkanContext? = nil) throws -> Int {
        let seed = UInt64(shape.pixels * 1000 + shape.cin * 10 + shape.cout)
        let layer = ConvLayer(name: "pw", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: shape.cin,
                              outChannels: shape.cout, relu6: shape.relu6,
                              weights: randomFloats(shape.cin * shape.cout, seed: seed),
                              bias: randomFloats(shape.cout, seed: seed + 1))
        let x = Tensor(batch: 1, height: 1, width: shape.pixels, channels: shape.cin,
                       data: formats.inputs(shape.pixels * shape.cin, in: -3...3, seed: seed + 2))
        let residual = shape.residual
            ? Tensor(batch: 1, height: 1, width: shape.pixels, channels: shape.cout,
                     data: stored(randomFloats(shape.pixels * shape.cout, seed: seed + 3), formats.output)) : nil
        let expected = PointwiseConv.reference(x, layer, residual: residual)
        let h = try KernelHarness(context: context)
        let output = try h.poisonedOutput(expected.data.count, formats.output)
        let launcher = PointwiseConv.Vulkan(context: h.context)
        if case .vec4 = variant {
            #expect(launcher.vectorized(layer, variant: variant) == (shape.cin % 4 == 0 && shape.cout % 4 == 0))
        } else {
            #expect(!launcher.vectorized(layer, variant: variant))
        }
        try launcher.record(
            h.sequence, layer: layer, pixels: shape.pixels, input: h.input(x.data, formats.input),
            inputFormat: formats.input, weights: h.float32(layer.weights), bias: h.float32(layer.bias),
            residual: residual.map { try h.input($0.data, formats.output) }, output: BufferBinding(output),
            outputFormat: formats.output, variant: variant)
        let dispatches = h.sequence.dispatchCount
        let (got, guardIntact) = try h.finish(output, count: expected.data.count, formats.output)
        expectClose(got, expected.data, tolerance: tolerance(formats.output),
                    "pointwise \(shape.testDescription) \(formats.testDescription) \(variant)"
                        + (context == nil ? "" : ", grid y at most \(h.context.info.maxWorkgroupCount[1])"))
        #expect(guardIntact, "wrote past the output")
        #expect(try h.context.validationLog?.messages == [])
        return dispatches
    }

    @Test func unorm16OutputNeedsReLU6() throws {
        let layer = ConvLayer(name: "block_1_project", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: 1,
                              outChannels: 1, relu6: false, weights: [1], bias: [0])
        let h = try KernelHarness()
        let buffer = try h.input([1], .float32)
        #expect(throws: VulkanError.self) {
            try PointwiseConv.Vulkan(context: h.context).record(
                h.sequence, layer: layer, pixels: 1, input: buffer, inputFormat: .float32, weights: buffer,
                bias: buffer, residual: nil, output: buffer, outputFormat: .unorm16)
        }
    }

    struct StemCase: Sendable, CustomTestStringConvertible {
        let height, width, cout, stride: Int
        var testDescription: String { "\(height)x\(width) ->\(cout) s\(stride)" }
    }

    static let stemCases = [
        StemCase(height: 9, width: 7, cout: 8, stride: 2), StemCase(height: 13, width: 13, cout: 13, stride: 2),
        StemCase(height: 4, width: 6, cout: 3, stride: 1), StemCase(height: 1, width: 1, cout: 1, stride: 2),
        StemCase(height: 16, width: 16, cout: 32, stride: 2), StemCase(height: 5, width: 7, cout: 12, stride: 1),
    ]
    // The stem reads the network input (float32 or float16) and writes a ReLU6 output.
    static let stemRuns = stemCases.flatMap { c in
        [Formats.float32, .float16, Formats(input: .float16, output: .unorm16), Formats(input: .float32, output: .unorm16)]
            .flatMap { f in columnChoices(c.cout).map { (c, f, $0) } }
    }

    @Test(arguments: stemRuns)
    func stem(_ shape: StemCase, formats: Formats, columns: Int) throws {
        let seed = UInt64(shape.height * 100 + shape.width * 10 + shape.cout)
        let layer = ConvLayer(name: "Conv1", kind: .full, kernelSize: 3, stride: shape.stride, inChannels: 3,
                              outChannels: shape.cout, relu6: true,
                              weights: randomFloats(27 * shape.cout, seed: seed),
                              bias: randomFloats(shape.cout, seed: seed + 1))
        let batch = 3
        let x = Tensor(batch: batch, height: shape.height, width: shape.width, channels: 3,
                       data: formats.inputs(batch * shape.height * shape.width * 3, in: -1...1, seed: seed + 2))
        let expected = StemConv.reference(x, layer)
        let h = try KernelHarness()
        let output = try h.poisonedOutput(expected.data.count, formats.output)
        try StemConv.Vulkan(context: h.context, vectorized: columns > 0, columnsPerInvocation: max(columns, 1)).record(
            h.sequence, layer: layer, batch: batch, height: shape.height, width: shape.width,
            input: h.input(x.data, formats.input), inputFormat: formats.input, weights: h.float32(layer.weights),
            bias: h.float32(layer.bias), output: BufferBinding(output), outputFormat: formats.output)
        let (got, guardIntact) = try h.finish(output, count: expected.data.count, formats.output)
        expectClose(got, expected.data, tolerance: tolerance(formats.output),
                    "stem \(shape.testDescription) \(formats.testDescription)\(columns > 0 && shape.cout % 4 == 0 ? " vec4 ×\(columns)" : "")")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }

    @Test(arguments: [(1, 1, 1), (3, 49, 1280), (2, 13, 127), (1, 127, 3)], StorageFormat.allCases)
    func globalAveragePool(_ shape: (batch: Int, pixels: Int, channels: Int), format: StorageFormat) throws {
        let (batch, pixels, channels) = shape
        let x = Tensor(batch: batch, height: 1, width: pixels, channels: channels,
                       data: stored(randomFloats(batch * pixels * channels, in: 0...6, seed: UInt64(pixels * channels)), format))
        let expected = GlobalAveragePool.reference(x)
        let h = try KernelHarness()
        let output = try h.poisonedOutput(expected.count, .float32)
        try GlobalAveragePool.Vulkan(context: h.context).record(
            h.sequence, batch: batch, pixels: pixels, channels: channels, input: h.input(x.data, format),
            inputFormat: format, output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: expected.count, .float32)
        // The sum stays float32 on the device: the result is within fp32 rounding whatever the storage.
        expectClose(got, expected, tolerance: tolerance(.float32), "pool \(shape) \(format)")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }
}
