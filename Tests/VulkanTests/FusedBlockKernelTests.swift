import Model
import Testing
import TestSupport
import VulkanRuntime

/// `inverted_residual_block.comp` against the per-layer Vulkan kernels it replaces and the plain
/// reference, on seeded random blocks of awkward shapes, outputs poisoned with NaN.
@Suite struct FusedBlockKernelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let cin, expanded, cout, size, stride: Int
        let expand: Bool
        var residual: Bool { stride == 1 && cin == cout }
        var testDescription: String {
            "\(cin)->\(expand ? "\(expanded)" : "no expand")->\(cout) \(size)x\(size) s\(stride)\(residual ? " +res" : "")"
        }
    }

    // Channels 1, 3, 13, 127 and 960 as input, expanded or output widths; sizes 1, 7, 13, 112; strides
    // 1 and 2; residual on and off; blocks with no expand (block 0). Big shapes are few (lavapipe is slow).
    static let cases = [
        Case(cin: 1, expanded: 3, cout: 1, size: 7, stride: 1, expand: true),
        Case(cin: 3, expanded: 13, cout: 3, size: 13, stride: 2, expand: true),
        Case(cin: 13, expanded: 127, cout: 13, size: 13, stride: 1, expand: true),
        Case(cin: 3, expanded: 13, cout: 13, size: 1, stride: 2, expand: true),
        Case(cin: 13, expanded: 3, cout: 13, size: 1, stride: 1, expand: true),
        Case(cin: 13, expanded: 13, cout: 7, size: 13, stride: 1, expand: false),
        Case(cin: 3, expanded: 3, cout: 3, size: 7, stride: 2, expand: false),
        Case(cin: 127, expanded: 960, cout: 127, size: 7, stride: 1, expand: true),
        Case(cin: 160, expanded: 960, cout: 320, size: 7, stride: 1, expand: true),
        Case(cin: 16, expanded: 96, cout: 24, size: 112, stride: 2, expand: true),
    ]

    /// The block's input and output formats: fp32's, fp16's (float32 stream; block 0 reads the unorm16
    /// stem output), and float16 everywhere.
    static func formats(_ c: Case) -> [Formats] {
        [.float32, Formats(input: c.expand ? .float32 : .unorm16, output: .float32), .float16]
    }

    /// The device's launch, its occupancy launch where it has one (the launch tuning's second candidate), and
    /// one for tiny limits (1×1 or 1×2 tiles, few invocations, partial chunks), however much halo it recomputes.
    static func launches(_ shape: FusedBlockLaunch.Shape, device: FusedBlockLaunch.Limits) -> [(String, FusedBlockLaunch?)] {
        let tiny = FusedBlockLaunch.Limits(sharedBytes: 1024, subgroupSize: 4, maxInvocations: 16, maxGroupX: 16, maxGroupY: 16)
        let primary = FusedBlockLaunch.choose(shape, limits: device)
        let occupancy = FusedBlockLaunch.occupancyLaunch(shape, limits: device, targetThreads: 256, primary: primary)
        return [("device", primary)] + (occupancy.map { [("occupancy", $0)] } ?? [])
            + [("tiny", FusedBlockLaunch.choose(shape, limits: tiny, targetThreads: 16, maxOverhead: .infinity))]
    }

    static func block(_ c: Case, seed: UInt64) -> InvertedResidualBlock {
        func layer(_ name: String, _ kind: ConvLayer.Kind, _ cin: Int, _ cout: Int, relu6: Bool, stride: Int = 1, _ s: UInt64) -> ConvLayer {
            let k = kind == .depthwise ? 3 : 1
            let count = kind == .depthwise ? 9 * cin : cin * cout
            // Weights scaled so the expanded sums of wide layers stay in ReLU6's working range.
            let scale = Float(1 / Double(kind == .depthwise ? 3 : cin).squareRoot())
            return ConvLayer(name: name, kind: kind, kernelSize: k, stride: stride, inChannels: cin, outChannels: cout,
                             relu6: relu6, weights: randomFloats(count, in: -1...1, seed: s).map { $0 * scale * 2 },
                             bias: randomFloats(cout, in: -0.5...1, seed: s + 1))
        }
        let expand = c.expand ? layer("block_9_expand", .pointwise, c.cin, c.expanded, relu6: true, seed) : nil
        return InvertedResidualBlock(index: 9, expand: expand,
                                     depthwise: layer("block_9_depthwise", .depthwise, c.expanded, c.expanded, relu6: true, stride: c.stride, seed + 2),
                                     project: layer("block_9_project", .pointwise, c.expanded, c.cout, relu6: false, seed + 4),
                                     residual: c.residual)
    }

    /// The plain reference: the three layer references in a row (intermediates float32).
    static func reference(_ x: Tensor, _ block: InvertedResidualBlock) -> Tensor {
        let e = block.expand.map { PointwiseConv.reference(x, $0, residual: nil) } ?? x
        let d = DepthwiseConv.reference(e, block.depthwise)
        return PointwiseConv.reference(d, block.project, residual: block.residual ? x : nil)
    }

    /// The per-layer Vulkan kernels in a row, intermediates stored as `intermediate`.
    static func perLayer(_ h: KernelHarness, _ block: InvertedResidualBlock, _ x: Tensor, input: BufferBinding,
                         formats: Formats, intermediate: StorageFormat, count: Int) throws -> [Float] {
        let batch = x.batch, size = x.height, e = block.depthwise.inChannels
        let outSize = block.depthwise.outputSize(inputSize: size)
        var current = input, currentFormat = formats.input
        if let expand = block.expand {
            let buffer = try Buffer(context: h.context, size: max(4, batch * size * size * e * intermediate.size), location: .device)
            try PointwiseConv.Vulkan(context: h.context).record(
                h.sequence, layer: expand, pixels: batch * size * size, input: input, inputFormat: formats.input,
                weights: h.float32(expand.weights), bias: h.float32(expand.bias), residual: nil,
                output: BufferBinding(buffer), outputFormat: intermediate)
            h.sequence.barrier()
            (current, currentFormat) = (BufferBinding(buffer), intermediate)
        }
        let filtered = try Buffer(context: h.context, size: max(4, batch * outSize * outSize * e * intermediate.size), location: .device)
        try DepthwiseConv.Vulkan(context: h.context).record(
            h.sequence, layer: block.depthwise, batch: batch, height: size, width: size, input: current,
            inputFormat: currentFormat, weights: h.float32(block.depthwise.weights), bias: h.float32(block.depthwise.bias),
            output: BufferBinding(filtered), outputFormat: intermediate)
        h.sequence.barrier()
        let output = try h.poisonedOutput(count, formats.output)
        try PointwiseConv.Vulkan(context: h.context).record(
            h.sequence, layer: block.project, pixels: batch * outSize * outSize, input: BufferBinding(filtered),
            inputFormat: intermediate, weights: h.float32(block.project.weights), bias: h.float32(block.project.bias),
            residual: block.residual ? input : nil, output: BufferBinding(output), outputFormat: formats.output)
        let (got, guardIntact) = try h.finish(output, count: count, formats.output)
        #expect(guardIntact, "per-layer sequence wrote past its output")
        return got
    }

    static let runs = cases.flatMap { c in formats(c).map { (c, $0) } }

    @Test(arguments: runs)
    func fusedMatchesPerLayerAndReference(_ c: Case, formats: Formats) throws {
        let seed = UInt64(c.cin * 10_000 + c.expanded * 10 + c.size + c.stride)
        let block = Self.block(c, seed: seed)
        let batch = c.size >= 112 ? 1 : 2
        let x = Tensor(batch: batch, height: c.size, width: c.size, channels: c.cin,
                       data: formats.inputs(batch * c.size * c.size * c.cin, in: -2...2, seed: seed + 9))
        let expected = Self.reference(x, block)
        let kernel = try InvertedResidualBlock.Vulkan(context: vulkanContext())
        let shape = FusedBlockLaunch.Shape(block, height: c.size, width: c.size)
        let device = FusedBlockLaunch.Limits(try vulkanContext().info)
        // float32 outputs: fp32 rounding (every intermediate stays float32 in shared memory); float16: its rounding.
        let budget = tolerance(formats.output)
        for (name, chosen) in Self.launches(shape, device: device) {
            let launch = try #require(chosen, "\(c.testDescription): no \(name) launch")
            #expect(launch.sharedBytes <= device.sharedBytes, "\(name) launch \(launch) needs \(launch.sharedBytes) bytes")
            let h = try KernelHarness()
            let input = try h.input(x.data, formats.input)
            let output = try h.poisonedOutput(expected.data.count, formats.output)
            try kernel.record(h.sequence, block: block, batch: batch, height: c.size, width: c.size, input: input,
                              inputFormat: formats.input,
                              parameters: try ([block.expand].compactMap { $0 } + [block.depthwise, block.project]).map { (try h.float32($0.weights), try h.float32($0.bias)) },
                              output: BufferBinding(output), outputFormat: formats.output, launch: launch)
            let (got, guardIntact) = try h.finish(output, count: expected.data.count, formats.output)
            let what = "\(c.testDescription) \(formats.testDescription) \(name) (\(launch))"
            expectClose(got, expected.data, tolerance: budget, "fused vs reference, \(what)")
            #expect(guardIntact, "\(what): wrote past the output")
            if name == "device" {
                // The per-layer sequence with float32 intermediates computes the same sums.
                let p = try KernelHarness()
                let layered = try Self.perLayer(p, block, x, input: p.input(x.data, formats.input), formats: formats,
                                                intermediate: formats.output == .float16 ? .float16 : .float32,
                                                count: expected.data.count)
                expectClose(layered, expected.data, tolerance: budget, "per-layer vs reference, \(what)")
                expectClose(got, layered, tolerance: formats.output == .float16 ? 2e-2 : 1e-5, "fused vs per-layer, \(what)")
            }
        }
        #expect(try validationMessages() == [])
    }
}
