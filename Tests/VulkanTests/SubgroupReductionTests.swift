import Model
import Testing
import VulkanRuntime

/// Why the shared test device cannot run the subgroup variants (nil: it can).
let subgroupUnavailable: String? = {
    guard let context = try? vulkanContext() else { return "no Vulkan context" }
    let info = context.info
    return KernelReduction.available(info) ? nil
        : "\(info.name) has subgroup size \(info.subgroupSize), compute operations [\(info.subgroupOperations.joined(separator: " "))]"
}()

/// The subgroup variants of `head_pool.comp` and `global_average_pool.comp` (`REDUCE_SUBGROUP`) against
/// the plain references, with launches whose work group is smaller than, not a multiple of, and larger
/// than a subgroup; the shared-memory (default) variants, their fallback, on the same cases; the choice
/// between them from given device values; the whole network on each against the reference engine.
@Suite struct SubgroupReductionTests {
    /// Output channels 1, 3, 13, 127, 1280 × spatial 1, 7, 13 (1, 49, 169 pixels) × batches 1 and 3.
    struct Case: Sendable, CustomStringConvertible {
        let channels, side, batch: Int
        var pixels: Int { side * side }
        /// Input channels of the head convolution: 3, 13 or 127 (13 at 1280 outputs, to stay quick).
        var inChannels: Int { channels == 1280 ? 13 : [3, 13, 127][(channels + side + batch) % 3] }
        var description: String { "\(batch)×\(side)×\(side) \(inChannels)->\(channels)" }
    }

    static let cases: [Case] = [1, 3, 13, 127, 1280].flatMap { c in
        [1, 7, 13].flatMap { s in [1, 3].map { Case(channels: c, side: s, batch: $0) } }
    }

    /// A launch of a subgroup variant: invocations per work group, channels per lane, channel groups per
    /// work group (nil: the device's default). On lavapipe (8 lanes) 3 invocations are less than one
    /// subgroup, 12 a full and a partial one, 64 eight subgroups for 3 groups (five idle), and 8 with 5
    /// groups one subgroup looping over them.
    struct Launch: Sendable, CustomTestStringConvertible {
        let invocations, channels, groups: Int?
        var testDescription: String {
            invocations.map { "\($0) invocations, \(channels!) channels × \(groups!) groups" } ?? "device default"
        }
    }

    static let subgroupLaunches = [
        Launch(invocations: nil, channels: nil, groups: nil), Launch(invocations: 3, channels: 1, groups: 1),
        Launch(invocations: 12, channels: 3, groups: 2), Launch(invocations: 64, channels: 4, groups: 3),
        Launch(invocations: 8, channels: 16, groups: 5),
    ]

    /// The head pool of `c` through `launcher` against `HeadPool.reference`, output poisoned with NaN.
    static func checkHeadPool(_ c: Case, _ launcher: HeadPool.Vulkan, _ what: String) throws {
        let seed = UInt64(c.channels * 1000 + c.side * 10 + c.batch)
        let layer = ConvLayer(name: "Conv_1", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: c.inChannels,
                              outChannels: c.channels, relu6: c.channels != 13,
                              weights: randomFloats(c.inChannels * c.channels, seed: seed), bias: randomFloats(c.channels, seed: seed + 1))
        let x = Tensor(batch: c.batch, height: c.side, width: c.side, channels: c.inChannels,
                       data: randomFloats(c.batch * c.pixels * c.inChannels, in: 0...6, seed: seed + 2))
        let expected = HeadPool.reference(x, layer)
        let h = try KernelHarness()
        let output = try h.poisonedOutput(expected.count, .float32)
        try launcher.record(h.sequence, layer: layer, batch: c.batch, pixels: c.pixels, input: h.input(x.data, .float32),
                            inputFormat: .float32, weights: h.float32(layer.weights), bias: h.float32(layer.bias),
                            output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: expected.count, .float32)
        expectClose(got, expected, tolerance: tolerance(.float32), "head pool \(c) \(what)")
        #expect(guardIntact, "head pool \(c) \(what): wrote past the output")
    }

    /// The pool of `c` (its channels, pixels and batch) through `launcher` against `GlobalAveragePool.reference`.
    static func checkPool(_ c: Case, _ launcher: GlobalAveragePool.Vulkan, _ format: StorageFormat, _ what: String) throws {
        let x = Tensor(batch: c.batch, height: c.side, width: c.side, channels: c.channels,
                       data: stored(randomFloats(c.batch * c.pixels * c.channels, in: 0...6, seed: UInt64(c.channels * 7 + c.side)), format))
        let expected = GlobalAveragePool.reference(x)
        let h = try KernelHarness()
        let output = try h.poisonedOutput(expected.count, .float32)
        try launcher.record(h.sequence, batch: c.batch, pixels: c.pixels, channels: c.channels, input: h.input(x.data, format),
                            inputFormat: format, output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: expected.count, .float32)
        expectClose(got, expected, tolerance: tolerance(.float32), "pool \(c.batch)×\(c.side)×\(c.side)×\(c.channels) \(format) \(what)")
        #expect(guardIntact, "pool \(c) \(what): wrote past the output")
    }

    @Test(.enabled(if: subgroupUnavailable == nil, "skipped: no subgroup arithmetic"), arguments: subgroupLaunches)
    func headPoolSubgroup(_ launch: Launch) throws {
        let context = try vulkanContext()
        let launcher = try HeadPool.Vulkan(context: context, shape: launch.invocations.map { ($0, 1) },
                                           channelsPerInvocation: launch.channels, reduction: .subgroup, groups: launch.groups)
        #expect(launcher.reduction == .subgroup)
        let what = "subgroup \(launcher.shape.x) invocations × \(launcher.channelsPerInvocation) channels × \(launcher.groups) groups (subgroup size \(context.info.subgroupSize))"
        for c in Self.cases { try Self.checkHeadPool(c, launcher, what) }
        #expect(try validationMessages() == [])
    }

    /// The shared-memory variant forced, with the device's default launch and the GPU's 32×8 (partial sums
    /// added in shared memory) on the same cases.
    @Test(arguments: [nil, (x: 32, y: 8, channels: 8)] as [(x: Int, y: Int, channels: Int)?])
    func headPoolSharedMemory(_ shape: (x: Int, y: Int, channels: Int)?) throws {
        let launcher = try HeadPool.Vulkan(context: vulkanContext(), shape: shape.map { ($0.x, $0.y) },
                                           channelsPerInvocation: shape?.channels, reduction: .sharedMemory)
        #expect(launcher.reduction == .sharedMemory)
        let what = "shared memory \(launcher.shape) × \(launcher.channelsPerInvocation) channels"
        for c in Self.cases { try Self.checkHeadPool(c, launcher, what) }
        #expect(try validationMessages() == [])
    }

    @Test(.enabled(if: subgroupUnavailable == nil, "skipped: no subgroup arithmetic"), arguments: subgroupLaunches)
    func poolSubgroup(_ launch: Launch) throws {
        let context = try vulkanContext()
        let launcher = try GlobalAveragePool.Vulkan(context: context, reduction: .subgroup, invocations: launch.invocations,
                                                    channelsPerInvocation: launch.channels, groups: launch.groups)
        #expect(launcher.reduction == .subgroup)
        let what = "subgroup \(launcher.invocations) invocations × \(launcher.channelsPerInvocation) channels × \(launcher.groups) groups"
        for c in Self.cases { try Self.checkPool(c, launcher, .float32, what) }
        // The 16-bit formats on the default launch (the loads are the only thing the format changes).
        if launch.invocations == nil {
            for c in Self.cases where c.batch == 3 { try Self.checkPool(c, launcher, .unorm16, what); try Self.checkPool(c, launcher, .float16, what) }
        }
        #expect(try validationMessages() == [])
    }

    @Test func poolSharedMemory() throws {
        let launcher = try GlobalAveragePool.Vulkan(context: vulkanContext(), reduction: .sharedMemory)
        #expect(launcher.reduction == .sharedMemory)
        for c in Self.cases { try Self.checkPool(c, launcher, .float32, "one invocation per channel") }
        #expect(try validationMessages() == [])
    }

    /// What `imgfeat kernel-check` runs (and the Python tests at 4 and 16 lanes): every case of
    /// `KernelReduction.checkCases` through its own harness, on this device.
    @Test(.enabled(if: subgroupUnavailable == nil, "skipped: no subgroup arithmetic"))
    func kernelCheckCasesPass() throws {
        let context = try vulkanContext()
        let cases = KernelReduction.checkCases(subgroupSize: Int(context.info.subgroupSize))
        #expect(cases.count >= 60)
        for c in cases {
            let result = try KernelReduction.check(c, context: context)
            #expect(result.passed, "\(result.line)")
        }
        #expect(try validationMessages() == [])
    }

    /// Subgroup arithmetic in compute shaders and a known size make the subgroup variants available, and GPUs
    /// run them; anything less, or a CPU driver (its own profile), gets the fallback.
    @Test func choiceFollowsTheQueriedSupport() {
        let full = ["basic", "vote", "arithmetic", "ballot", "shuffle", "shuffle-relative", "clustered", "quad"]
        func choose(_ operations: [String], _ size: UInt32, _ kind: DeviceKind = .discreteGPU) -> KernelReduction {
            KernelReduction.choose(computeSubgroupOperations: operations, subgroupSize: size, kind: kind)
        }
        for size: UInt32 in [4, 8, 16, 32, 64, 128] {
            for kind in [DeviceKind.discreteGPU, .integratedGPU, .virtualGPU, .other] {
                #expect(choose(full, size, kind) == .subgroup, "size \(size) \(kind)")
            }
            #expect(choose(["basic", "arithmetic"], size) == .subgroup)
            #expect(choose(full, size, .cpu) == .sharedMemory, "CPU drivers keep their profile")
            #expect(KernelReduction.available(computeSubgroupOperations: full, subgroupSize: size))
        }
        // DeviceInfo lists no operation when the compute stage has none, and a device below Vulkan 1.2 size 0.
        for (operations, size) in [([], 32), (["basic", "vote", "ballot", "shuffle"], 32), (["arithmetic"], 32), (full, 0), (full, 24)] as [([String], UInt32)] {
            #expect(choose(operations, size) == .sharedMemory, "\(operations) size \(size)")
            #expect(!KernelReduction.available(computeSubgroupOperations: operations, subgroupSize: size))
        }
    }

    /// The launchers take the device's choice, and refuse the subgroup variant on a device without it.
    @Test func launchersFollowTheDevice() throws {
        let context = try vulkanContext()
        let chosen = KernelReduction.choose(context.info)
        print("subgroup reductions on \(context.info.name): size \(context.info.subgroupSize), [\(context.info.subgroupOperations.joined(separator: " "))] -> available \(KernelReduction.available(context.info)), chosen \(chosen.rawValue)")
        #expect(chosen == (context.info.kind == .cpu || subgroupUnavailable != nil ? .sharedMemory : .subgroup))
        #expect(try HeadPool.Vulkan(context: context).reduction == chosen)
        #expect(try GlobalAveragePool.Vulkan(context: context).reduction == chosen)
        if subgroupUnavailable != nil {
            #expect(throws: VulkanError.self) { try HeadPool.Vulkan(context: context, reduction: .subgroup) }
            #expect(throws: VulkanError.self) { try GlobalAveragePool.Vulkan(context: context, reduction: .subgroup) }
        }
    }

    /// The engine's own choice: the device's where the fast path is allowed (and listed by `supported(by:)`
    /// exactly there), the shared-memory variants without it; the self-check can thus drop it like any path.
    @Test func engineChoiceIsAFastPath() throws {
        let context = try vulkanContext()
        let chosen = KernelReduction.choose(context.info)
        #expect(VulkanFastPaths.supported(by: context.info, precision: .fp32).contains(.subgroupReductions) == (chosen == .subgroup))
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: 32), seed: 5)
        for headPool in HeadPool.Mode.allCases {
            let on = try VulkanEngine(model: model, context: context, batchSize: 1, headPool: headPool, fastPaths: [.subgroupReductions])
            let off = try VulkanEngine(model: model, context: context, batchSize: 1, headPool: headPool, fastPaths: [])
            #expect(on.poolReduction == chosen && off.poolReduction == .sharedMemory, "\(headPool)")
            #expect(on.activeFastPaths.contains(.subgroupReductions) == (chosen == .subgroup) && !off.activeFastPaths.contains(.subgroupReductions))
        }
        #expect(VulkanFastPaths(names: ["subgroup-reductions"]) == .subgroupReductions)
        #expect(VulkanFastPaths.subgroupReductions.names == ["subgroup-reductions"])
    }

    /// The whole network (alpha 0.35, size 96, seeded random weights) with each reduction, fused head and
    /// separate head, against the reference engine at 1e-5.
    @Test(arguments: KernelReduction.allCases, [HeadPool.Mode.fused, .separate])
    func networkMatchesReference(_ reduction: KernelReduction, headPool: HeadPool.Mode) throws {
        if reduction == .subgroup, let subgroupUnavailable {
            print("skipped: no subgroup arithmetic (\(subgroupUnavailable))")
            return
        }
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: 96), seed: 11)
        let input = Tensor(batch: 2, height: 96, width: 96, channels: 3, data: randomFloats(2 * 96 * 96 * 3, seed: 12))
        let reference = try ReferenceEngine(model: model).features(input)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), batchSize: 2, headPool: headPool,
                                      fastPaths: [], reduction: reduction)
        #expect(engine.poolReduction == reduction)
        #expect(engine.activeFastPaths.contains(.subgroupReductions) == (reduction == .subgroup), "forced \(reduction)")
        let got = try engine.features(input)
        print("network \(reduction.rawValue) \(headPool): vs reference \(relativeError(got, reference))")
        expectClose(got, reference, tolerance: 1e-5, "network alpha 0.35 size 96 \(reduction.rawValue) head \(headPool)")
        #expect(try validationMessages() == [])
    }
}
