import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Dispatches split where their grid would pass the device's y or z limit (`GridSplit`): on a GPU a batch
/// of 256 at 112×112 gives the 1×1 GEMMs 50,000–400,000 groups along y against a limit of 65,535. Here a
/// context whose y and z axes are capped at `cap` groups (`VulkanOptions.maxWorkgroupCount`) makes small
/// shapes split the same way, each kernel against its plain reference with its output poisoned.
@Suite struct GridSplitTests {
    static let cap = 64
    static let capped: Result<VulkanContext, any Error> = Result {
        var options = VulkanOptions(validation: true)
        options.maxWorkgroupCount = cap
        return try VulkanContext(options: options)
    }

    static func context() throws -> VulkanContext { try capped.get() }

    @Test func theCapLowersYAndZOnly() throws {
        let full = try vulkanContext().info.maxWorkgroupCount, capped = try Self.context().info.maxWorkgroupCount
        #expect(capped == [full[0], UInt32(Self.cap), UInt32(Self.cap)], "capped \(capped), device \(full)")
    }

    @Test func runsCoverTheItemsInAlignedRunsThatFit() throws {
        // Seeded draws in [0, 1) scaled to each quantity's range.
        let draws = randomFloats(500 * 8, in: 0...0.999, seed: 29).map(Double.init)
        for i in 0..<500 {
            let d = Array(draws[(i * 8)..<(i * 8 + 8)])
            let items = Int(d[0] * 5000) + 1, perGroup = Int(d[1] * 70) + 1
            let maxGroups = Int(d[2] * 40) + 1, alignment = 1 << Int(d[3] * 9)
            let bytes = (0..<Int(d[4] * 3) + 1).map { Int(d[5 + $0] * 5000) + 1 }
            let what = "\(items) items, \(perGroup) a group, \(maxGroups) groups, bytes \(bytes), alignment \(alignment)"
            // The oracle, by search: some run of at most one dispatch's items keeps every offset aligned.
            let capacity = maxGroups * perGroup
            let alignedRunFits = (1...capacity).contains { (run: Int) -> Bool in bytes.allSatisfy { run * $0 % alignment == 0 } }
            guard alignedRunFits || items <= capacity else {
                #expect(throws: VulkanError.self, "\(what)") {
                    try GridSplit(items: items, perGroup: perGroup, maxGroups: maxGroups, bytesPerItem: bytes, alignment: alignment, what: "t")
                }
                continue
            }
            let runs = try GridSplit(items: items, perGroup: perGroup, maxGroups: maxGroups, bytesPerItem: bytes,
                                     alignment: alignment, what: "t").runs
            #expect(runs.first?.lowerBound == 0 && runs.last?.upperBound == items, "\(what): \(runs)")
            #expect(zip(runs, runs.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && !$1.isEmpty }, "\(what): \(runs)")
            let fits = runs.allSatisfy { (run: Range<Int>) -> Bool in (run.count + perGroup - 1) / perGroup <= maxGroups }
            let aligned = runs.allSatisfy { (run: Range<Int>) -> Bool in
                bytes.allSatisfy { (b: Int) -> Bool in run.lowerBound * b % alignment == 0 }
            }
            #expect(fits && aligned, "\(what): \(runs)")
            #expect(items > capacity || runs.count == 1, "\(what): split though it fits")
        }
    }

    static let pointwiseRuns: [(KernelTests.PointwiseCase, Formats, PointwiseConv.Vulkan.Variant)] = [
        // Enough pixels for every variant's grid to pass the cap (up to 256 pixels a work group).
        KernelTests.PointwiseCase(pixels: 20_000, cin: 13, cout: 24, residual: true, relu6: false),
        KernelTests.PointwiseCase(pixels: 17_001, cin: 8, cout: 16, residual: false, relu6: true),
        KernelTests.PointwiseCase(pixels: 16_500, cin: 3, cout: 5, residual: true, relu6: true),
    ].flatMap { c in
        [Formats.float32, Formats(input: .float16, output: .float16), Formats(input: .unorm16, output: .float32)]
            .filter { c.relu6 || $0.output != .unorm16 }
            .flatMap { f in KernelTests.gemmVariants.map { (c, f, $0) } }
    }

    @Test(arguments: pointwiseRuns)
    func pointwiseSplitAlongPixels(_ shape: KernelTests.PointwiseCase, formats: Formats, variant: PointwiseConv.Vulkan.Variant) throws {
        let dispatches = try KernelTests.checkPointwise(shape, formats: formats, variant: variant, context: Self.context())
        #expect(dispatches > 1, "one dispatch: the grid did not pass the cap")
    }

    // Runs of whole images, a multiple of 4 or 8 where an image's bytes are not 16-byte aligned (13 channels).
    @Test(arguments: [(19, 7, 13, 1), (11, 13, 16, 2), (6, 24, 8, 1)], [Formats.float32, Formats(input: .float16, output: .unorm16)])
    func depthwiseSplitAlongImages(_ shape: (batch: Int, size: Int, channels: Int, stride: Int), formats: Formats) throws {
        let seed = UInt64(shape.batch * 100 + shape.size)
        let layer = ConvLayer(name: "dw", kind: .depthwise, kernelSize: 3, stride: shape.stride, inChannels: shape.channels,
                              outChannels: shape.channels, relu6: true, weights: randomFloats(9 * shape.channels, seed: seed),
                              bias: randomFloats(shape.channels, seed: seed + 1))
        let outH = layer.outputSize(inputSize: shape.size)
        #expect(shape.batch * outH > Self.cap, "the grid's z must pass the cap for the split to be tested")
        let x = Tensor(batch: shape.batch, height: shape.size, width: shape.size, channels: shape.channels,
                       data: formats.inputs(shape.batch * shape.size * shape.size * shape.channels, in: 0...6, seed: seed + 2))
        let expected = DepthwiseConv.reference(x, layer)
        let h = try KernelHarness(context: Self.context())
        let output = try h.poisonedOutput(expected.data.count, formats.output)
        try DepthwiseConv.Vulkan(context: h.context).record(
            h.sequence, layer: layer, batch: shape.batch, height: shape.size, width: shape.size,
            input: h.input(x.data, formats.input), inputFormat: formats.input, weights: h.float32(layer.weights),
            bias: h.float32(layer.bias), output: BufferBinding(output), outputFormat: formats.output)
        #expect(h.sequence.dispatchCount > 1, "one dispatch: the grid did not pass the cap")
        let (got, guardIntact) = try h.finish(output, count: expected.data.count, formats.output)
        expectClose(got, expected.data, tolerance: tolerance(formats.output),
                    "depthwise \(shape) \(formats.testDescription), z capped at \(Self.cap)")
        #expect(guardIntact, "wrote past the output")
        #expect(try h.context.validationLog?.messages == [])
    }

    @Test func aRowTallerThanTheGridIsAClearError() throws {
        let layer = ConvLayer(name: "dw_tall", kind: .depthwise, kernelSize: 3, stride: 1, inChannels: 4, outChannels: 4,
                              relu6: true, weights: randomFloats(36, seed: 1), bias: randomFloats(4, seed: 2))
        let h = try KernelHarness(context: Self.context())
        let buffer = try h.input(randomFloats(4 * 70 * 70, seed: 3), .float32)
        let error = #expect(throws: VulkanError.self) {
            try DepthwiseConv.Vulkan(context: h.context).record(
                h.sequence, layer: layer, batch: 1, height: 70, width: 70, input: buffer, inputFormat: .float32,
                weights: buffer, bias: buffer, output: buffer, outputFormat: .float32)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("dw_tall: an image's 70 output rows pass the device's 64 work groups"),
                "\(String(describing: error))")
    }

    /// The whole network on the capped context: every 1×1 GEMM, the stem and every depthwise layer split.
    @Test(arguments: [VulkanPrecision.fp32, .fp16], [FusedBlockMode.off, .on])
    func networkMatchesTheReference(_ precision: VulkanPrecision, fused: FusedBlockMode) throws {
        let size = 32, batch = 9  // the stem's 9 × 16 output rows pass the cap
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: size), seed: 17)
        let input = Tensor(batch: batch, height: size, width: size, channels: 3, data: randomFloats(batch * size * size * 3, seed: 19))
        let expected = try ReferenceEngine(model: model).features(input)
        let engine = try VulkanEngine(model: model, context: Self.context(), precision: precision, batchSize: batch, fusedBlocks: fused)
        let got = try engine.features(stored(input.data, precision).withTensorShape(of: input))
        expectClose(got, expected, precision, "network \(precision) fused \(fused), y and z capped at \(Self.cap)")
        #expect(try Self.context().validationLog?.messages == [])
    }
}
