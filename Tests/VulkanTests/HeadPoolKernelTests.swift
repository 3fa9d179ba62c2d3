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

    /// A launch for the VEC4 tests: reduction, shape (x, y), channels per invocation (a multiple of 4), groups.
    struct Vec4Launch: Sendable, CustomTestStringConvertible {
        let reduction: KernelReduction
        let x, y, channels, groups: Int
        var testDescription: String { "\(reduction.rawValue) \(x)×\(y) × \(channels) channels × \(groups) groups" }
    }

    /// The VEC4 variant (output channels a multiple of 4) against the reference and the scalar variant of the
    /// same launch, on outputs 4, 12, 24, 1280 (inputs 3, 13, 127, 320) × spatial 1, 7, 13 × batches 1, 3,
    /// outputs NaN-poisoned: the lavapipe launch (8×1, 16 channels), the GPU's (32×8, 8), an odd one (8×3,
    /// 4), and the subgroup variant on 8, 12 (a partial subgroup on 8 lanes) and 3 invocations.
    @Test(arguments: [
        Vec4Launch(reduction: .sharedMemory, x: 8, y: 1, channels: 16, groups: 1), Vec4Launch(reduction: .sharedMemory, x: 32, y: 8, channels: 8, groups: 1),
        Vec4Launch(reduction: .sharedMemory, x: 8, y: 3, channels: 4, groups: 1), Vec4Launch(reduction: .subgroup, x: 8, y: 1, channels: 16, groups: 1),
        Vec4Launch(reduction: .subgroup, x: 12, y: 1, channels: 4, groups: 2), Vec4Launch(reduction: .subgroup, x: 3, y: 1, channels: 8, groups: 3),
    ])
    func vec4MatchesReferenceAndScalar(_ launch: Vec4Launch) throws {
        let context = try vulkanContext()
        if launch.reduction == .subgroup && !KernelReduction.available(context.info) {
            print("head pool vec4 \(launch.testDescription): skipped: no subgroup arithmetic")
            return
        }
        func launcher(vectorize: Bool) throws -> HeadPool.Vulkan {
            try HeadPool.Vulkan(context: context, shape: (launch.x, launch.y), channelsPerInvocation: launch.channels,
                                reduction: launch.reduction, groups: launch.groups, vectorize: vectorize)
        }
        let (vec4, scalar) = (try launcher(vectorize: true), try launcher(vectorize: false))
        for (cout, cin) in [(4, 3), (12, 13), (24, 127), (1280, 320)] {
            for side in [1, 7, 13] {
                for batch in [1, 3] where cout < 1280 || side == 7 || batch == 1 {
                    let seed = UInt64(cout * 1000 + side * 10 + batch)
                    let layer = ConvLayer(name: "Conv_1", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: cin, outChannels: cout,
                                          relu6: cout != 12, weights: randomFloats(cin * cout, seed: seed), bias: randomFloats(cout, seed: seed + 1))
                    let x = Tensor(batch: batch, height: side, width: side, channels: cin,
                                   data: randomFloats(batch * side * side * cin, in: 0...6, seed: seed + 2))
                    let expected = HeadPool.reference(x, layer)
                    #expect(vec4.vectorized(layer) && !scalar.vectorized(layer))
                    var outputs: [[Float]] = []
                    for kernel in [vec4, scalar] {
                        let h = try KernelHarness()
                        let output = try h.poisonedOutput(expected.count, .float32)
                        try kernel.record(h.sequence, layer: layer, batch: batch, pixels: side * side, input: h.input(x.data, .float32),
                                          inputFormat: .float32, weights: h.float32(layer.weights), bias: h.float32(layer.bias),
                                          output: BufferBinding(output))
                        let (got, guardIntact) = try h.finish(output, count: expected.count, .float32)
                        let what = "head pool \(batch)×\(side)×\(side) \(cin)->\(cout) \(kernel === vec4 ? "vec4" : "scalar") \(launch.testDescription)"
                        expectClose(got, expected, tolerance: tolerance(.float32), what)
                        #expect(guardIntact, "\(what): wrote past the output")
                        outputs.append(got)
                    }
                    expectClose(outputs[0], outputs[1], tolerance: tolerance(.float32), "head pool \(cin)->\(cout) vec4 vs scalar \(launch.testDescription)")
                }
            }
        }
        #expect(try validationMessages() == [])
    }
}
