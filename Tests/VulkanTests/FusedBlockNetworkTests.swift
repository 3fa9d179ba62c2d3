import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The fused block's launch choice, and whole networks with fused blocks against the reference engine,
/// the engine with fused blocks off, and Keras.
@Suite struct FusedBlockNetworkTests {
    static let gpuLike = FusedBlockLaunch.Limits(sharedBytes: 48 * 1024, subgroupSize: 32, maxInvocations: 1024,
                                                 maxGroupX: 1024, maxGroupY: 1024)
    static let small = FusedBlockLaunch.Limits(sharedBytes: 4096, subgroupSize: 64, maxInvocations: 128,
                                               maxGroupX: 128, maxGroupY: 128)
    static let none = FusedBlockLaunch.Limits(sharedBytes: 128, subgroupSize: 32, maxInvocations: 1024,
                                              maxGroupX: 1024, maxGroupY: 1024)

    /// Every block of MobileNetV2 alpha 1.0 / 224 and 0.35 / 96: the launch respects the limits and covers
    /// the tile and the output channels; on a 48 KB GPU every block fits, on 128 bytes none does.
    @Test(arguments: [1.0, 0.35])
    func launchChoiceRespectsLimits(alpha: Double) throws {
        let size = alpha == 1.0 ? 224 : 96
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: alpha, inputSize: size), seed: 1)
        var s = model.stem.outputSize(inputSize: size)
        let device = FusedBlockLaunch.Limits(try vulkanContext().info)
        for block in model.blocks {
            let shape = FusedBlockLaunch.Shape(block, height: s, width: s)
            for (name, limits) in [("gpu-like", Self.gpuLike), ("small", Self.small), ("device", device)] {
                guard let l = FusedBlockLaunch.choose(shape, limits: limits) else {
                    #expect(name != "gpu-like", "\(block.name) does not fit a 48 KB GPU")
                    continue
                }
                let what = "\(block.name) on \(name): \(l)"
                #expect(l.sharedBytes <= limits.sharedBytes, "\(what): \(l.sharedBytes) bytes")
                #expect(l.groupX * l.groupY <= limits.maxInvocations, "\(what): too many invocations")
                #expect(l.groupX * l.channelsPerInvocation >= block.project.outChannels, "\(what): output channels not covered")
                #expect(l.groupY * l.pixelsPerInvocation >= l.tileHeight * l.tileWidth, "\(what): tile pixels not covered")
                #expect(l.pixelsPerInvocation * l.channelsPerInvocation <= 32, "\(what): register tile")
                #expect(l.tileHeight <= block.depthwise.outputSize(inputSize: s) && l.stride == block.depthwise.stride, "\(what)")
                #expect(l.chunk >= min(16, block.depthwise.inChannels) || name == "small", "\(what): narrow chunk")
            }
            #expect(FusedBlockLaunch.choose(shape, limits: Self.none) == nil, "\(block.name) fits 128 bytes")
            s = block.depthwise.outputSize(inputSize: s)
        }
    }

    @Test func blockNamesAreKerasPrefixes() {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: 32), seed: 1)
        #expect(model.blocks.map(\.name) == ["expanded_conv"] + (1...16).map { "block_\($0)" })
    }

    // fp16 keeps the expanded and depthwise activations float32 in shared memory where the per-layer
    // path stores them as unorm16, so fused fp16 is nearer the reference than per-layer fp16.
    static let cases = [
        NetworkCase(alpha: 0.35, size: 96, batch: 3, precision: .fp32),
        NetworkCase(alpha: 0.35, size: 96, batch: 2, precision: .fp16),
        NetworkCase(alpha: 1.0, size: 64, batch: 2, precision: .fp32),
    ]

    @Test(arguments: cases)
    func fusedNetworkMatchesReferenceAndPerLayer(_ c: NetworkCase) throws {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: c.alpha, inputSize: c.size), seed: 11)
        let input = Tensor(batch: c.batch, height: c.size, width: c.size, channels: 3,
                           data: stored(randomFloats(c.batch * c.size * c.size * 3, seed: 5), c.precision))
        let expected = try ReferenceEngine(model: model).features(input)
        let context = try vulkanContext()
        let fused = try VulkanEngine(model: model, context: context, precision: c.precision, batchSize: 2, fusedBlocks: .on)
        let layered = try VulkanEngine(model: model, context: context, precision: c.precision, batchSize: 2, fusedBlocks: .off)
        #expect(fused.fusedBlockNames == model.blocks.map(\.name), "fused: \(fused.fusedBlockNames)")
        #expect(layered.fusedBlockNames.isEmpty)
        fused.profiling = true
        let got = try fused.features(input)
        let off = try layered.features(input)
        expectClose(got, expected, c.precision, "fused vs reference, \(c.testDescription)")
        expectClose(off, expected, c.precision, "per-layer vs reference, \(c.testDescription)")
        expectClose(got, off, c.precision, "fused vs per-layer, \(c.testDescription)")
        if c.precision == .fp16 {
            print("fused blocks \(c.testDescription): fused vs reference \(relativeError(got, expected)), per-layer vs reference \(relativeError(off, expected))")
        }
        let profile = try #require(fused.lastProfile)
        if context.info.supportsTimestamps {
            let names = Set(profile.stages.map(\.name))
            #expect(names.isSuperset(of: model.blocks.map(\.name)), "stages \(names.sorted())")
            #expect(!names.contains(model.blocks[1].depthwise.name), "a fused block's layers have no stage of their own")
            EngineTests().expectNetworkFlops(profile, model, images: c.batch)
        }
        #expect(try validationMessages() == [])
    }

    @Test func autoFollowsTheDeviceProfile() throws {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: 32), seed: 2)
        let context = try vulkanContext()
        let auto = try VulkanEngine(model: model, context: context, batchSize: 1)
        if context.info.kind == .cpu {
            // CPU drivers: per-layer without a single timing run (first creation on lavapipe must not get slower).
            #expect(auto.fusedBlockNames.isEmpty && auto.launchTimingRuns == 0 && auto.launchTuning == nil,
                    "\(context.info.kind): fused \(auto.fusedBlockNames), \(auto.launchTimingRuns) timing runs")
            #expect(auto.fusedBlockChoice == "per-layer on CPU drivers")
        } else {
            // GPUs: measured, one decision per block, and the network runs exactly the blocks it chose.
            let tuning = try #require(auto.launchTuning, "auto on \(context.info.kind): \(auto.fusedBlockChoice)")
            #expect(tuning.blocks.count == model.blocks.count && auto.launchTimingRuns > 0)
            #expect(auto.fusedBlockNames == tuning.blocks.filter(\.fused).map(\.name))
        }
        let disallowed = try VulkanEngine(model: model, context: context, batchSize: 1, fastPaths: [], fusedBlocks: .on)
        #expect(disallowed.fusedBlockNames.isEmpty, "fused blocks without VulkanFastPaths.fusedBlocks")
    }

    /// Fused blocks against Keras' features for the fixture weights (scripts/fixtures/keras_model.py): 1e-4
    /// at fp32, the engine's 1e-2 at fp16 (printed: docs/VULKAN.md quotes it).
    @Test(arguments: [("a035_s96", VulkanPrecision.fp32), ("a035_s96", .fp16), ("a100_s224", .fp32)])
    func fusedNetworkMatchesKeras(_ name: String, precision: VulkanPrecision) throws {
        let set: KerasModelFixtureSet = name == "a035_s96" ? .committed : .generated
        let manifest = try set.manifest()
        let entry = try #require(manifest.cases.first { $0.name == name }, "\(name) not in \(set.directory.path)/manifest.json")
        let model = try loadModel(.file(set.path(try #require(entry.files["legacy_no_top"]))), alpha: entry.alpha, inputSize: entry.size)
        let expected = try set.floats(entry.features)
        let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: precision, batchSize: 2, fusedBlocks: .on)
        #expect(engine.fusedBlockNames.count == model.blocks.count)
        let got = try engine.features(Tensor(batch: entry.count, height: entry.size, width: entry.size, channels: 3,
                                             data: try set.floats(entry.inputs)))
        expectClose(got, expected, tolerance: precision == .fp32 ? 1e-4 : 1e-2, "fused \(name) \(precision.rawValue) vs Keras")
        if precision == .fp16 { print("fused blocks \(name) fp16 vs Keras: \(relativeError(got, expected))") }
        #expect(try validationMessages() == [])
    }
}
