import Model
import Testing
import VulkanRuntime

/// `head_pool.comp` (the head 1×1 convolution fused with the global average pool) against the reference
/// head convolution followed by the reference pool, on fresh seeded inputs of awkward shapes.
@Suite struct HeadPoolKernelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let pixels, cin, cout: Int
        var relu6 = true
        var testDescription: String { "\(pixels)px \(cin)->\(cout)\(relu6 ? "" : " linear")" }
    }

    // Pixels 1, 3, 13, 49 (7×7, the head at 224); channels in 1, 3, 13, 127, 320; out 1, 13, 1280.
    static let cases = [
        Case(pixels: 1, cin: 1, cout: 1), Case(pixels: 3, cin: 3, cout: 13), Case(pixels: 13, cin: 13, cout: 1280),
        Case(pixels: 49, cin: 127, cout: 13), Case(pixels: 49, cin: 320, cout: 1280), Case(pixels: 13, cin: 320, cout: 1),
        Case(pixels: 1, cin: 127, cout: 1280), Case(pixels: 3, cin: 1, cout: 1280), Case(pixels: 49, cin: 3, cout: 1),
        Case(pixels: 13, cin: 127, cout: 13), Case(pixels: 13, cin: 13, cout: 13, relu6: false),
    ]
    /// nil: the device's default (its reduction too); 32×8 with 8 channels per invocation: the GPU default
    /// of the shared-memory variant (partial sums added in shared memory); 8×3 with 3: a height that does
    /// not divide the pixel blocks, an odd tile. The subgroup variant's launches: `SubgroupReductionTests`.
    static let shapes: [(x: Int, y: Int, channels: Int)?] = [nil, (32, 8, 8), (8, 3, 3)]
    static let runs = cases.flatMap { c in
        StorageFormat.allCases.flatMap { f in shapes.indices.map { (c, f, $0) } }
    }

    @Test(arguments: runs)
    func matchesReferenceHeadAndPool(_ shape: Case, inputFormat: StorageFormat, workGroup: Int) throws {
        let batch = 3
        let seed = UInt64(shape.pixels * 100_000 + shape.cin * 100 + shape.cout)
        let layer = ConvLayer(name: "Conv_1", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: shape.cin,
                              outChannels: shape.cout, relu6: shape.relu6,
                              weights: randomFloats(shape.cin * shape.cout, seed: seed),
                              bias: randomFloats(shape.cout, seed: seed + 1))
        let range: ClosedRange<Float> = inputFormat == .unorm16 ? 0...6 : -3...3
        let x = Tensor(batch: batch, height: 1, width: shape.pixels, channels: shape.cin,
                       data: stored(randomFloats(batch * shape.pixels * shape.cin, in: range, seed: seed + 2), inputFormat))
        let expected = HeadPool.reference(x, layer)
        let h = try KernelHarness()
        let output = try h.poisonedOutput(expected.count, .float32)
        let choice = Self.shapes[workGroup]
        let launcher = try HeadPool.Vulkan(context: h.context, shape: choice.map { ($0.x, $0.y) },
                                           channelsPerInvocation: choice?.channels,
                                           reduction: choice == nil ? nil : .sharedMemory)
        try launcher.record(h.sequence, layer: layer, batch: batch, pixels: shape.pixels,
                            input: h.input(x.data, inputFormat), inputFormat: inputFormat,
                            weights: h.float32(layer.weights), bias: h.float32(layer.bias), output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: expected.count, .float32)
        // Inputs are compared as stored and everything after the load is float32: fp32 tolerance for
        // every input format.
        expectClose(got, expected, tolerance: tolerance(.float32),
                    "head pool \(shape.testDescription) \(inputFormat) \(launcher.reduction) work group \(launcher.shape) × \(launcher.channelsPerInvocation) channels")
        #expect(guardIntact, "wrote past the output")
        #expect(try validationMessages() == [])
    }
}
