import Model
import Testing

/// The launch tuning's decision from given timings (pure: no device), and where the fused-block mode measures.
@Suite struct VulkanLaunchTuningTests {
    @Test func fusedOnlyWhenFasterByMoreThanTheMargin() {
        let margin = VulkanLaunchTuning.defaultMargin
        #expect(margin == 0.05)
        #expect(VulkanLaunchTuning.fuses(fusedMilliseconds: 9.4, layeredMilliseconds: 10, margin: margin))
        #expect(VulkanLaunchTuning.fuses(fusedMilliseconds: 1, layeredMilliseconds: 10, margin: margin))
        // Faster, but by less than the margin: the better-tested per-layer path stays.
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 9.6, layeredMilliseconds: 10, margin: margin))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 9.99, layeredMilliseconds: 10, margin: margin))
        // A tie, and slower.
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 10, layeredMilliseconds: 10, margin: margin))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 10, layeredMilliseconds: 10, margin: 0))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 25, layeredMilliseconds: 10, margin: margin))
        // No margin: any strict gain fuses; a wider margin asks for more.
        #expect(VulkanLaunchTuning.fuses(fusedMilliseconds: 9.99, layeredMilliseconds: 10, margin: 0))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 8, layeredMilliseconds: 10, margin: 0.25))
        #expect(VulkanLaunchTuning.fuses(fusedMilliseconds: 7, layeredMilliseconds: 10, margin: 0.25))
    }

    @Test func aBlockThatCannotFuseOrWasNotMeasuredStaysPerLayer() {
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: nil, layeredMilliseconds: 10, margin: 0.05))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 1, layeredMilliseconds: nil, margin: 0.05))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: .nan, layeredMilliseconds: 10, margin: 0.05))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 1, layeredMilliseconds: .nan, margin: 0.05))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 0, layeredMilliseconds: 10, margin: 0.05))
        #expect(!VulkanLaunchTuning.fuses(fusedMilliseconds: 1, layeredMilliseconds: .infinity, margin: 0.05))
    }

    @Test func mediansDecidePerBlock() {
        #expect(VulkanLaunchTuning.median([]) == nil)
        #expect(VulkanLaunchTuning.median([3, 1, 2]) == 2)
        #expect(VulkanLaunchTuning.median([4, 1, 3, 2]) == 2.5)
        // One slow outlier per block does not move the median.
        let fused: [[Double]?] = [[5, 5, 50], nil, [10, 10, 1], [9.6, 9.6, 9.6], [2, 3]]
        let layered: [[Double]] = [[10, 10, 10], [1, 1, 1], [10, 10, 10], [10, 10, 10], []]
        let choices = zip(fused, layered).map { VulkanLaunchTuning.choice(layered: $1, options: [$0], margin: 0.05) }
        #expect(choices == [0, nil, nil, nil, nil])
    }

    @Test func theFastestWayThatBeatsTheDefaultByTheMarginIsChosen() {
        let layered: [Double] = [10, 10, 10]
        // Fused 8, variant 7: the variant; fused 6: fused.
        #expect(VulkanLaunchTuning.choice(layered: layered, options: [[8, 8, 8], [7, 7, 70]], margin: 0.05) == 1)
        #expect(VulkanLaunchTuning.choice(layered: layered, options: [[6, 6, 6], [7, 7, 7]], margin: 0.05) == 0)
        // A block that cannot fuse (nil) or an alternative not timed (empty) is no option.
        #expect(VulkanLaunchTuning.choice(layered: layered, options: [nil, [9, 9, 9]], margin: 0.05) == 1)
        #expect(VulkanLaunchTuning.choice(layered: layered, options: [nil, []], margin: 0.05) == nil)
        // Within the margin of the default: the default stays, however many options come close.
        #expect(VulkanLaunchTuning.choice(layered: layered, options: [[9.6], [9.7], [9.9]], margin: 0.05) == nil)
        // Equal medians keep the earlier option; nothing measured per-layer keeps the default.
        #expect(VulkanLaunchTuning.choice(layered: layered, options: [[5, 5, 5], [5, 5, 5]], margin: 0.05) == 0)
        #expect(VulkanLaunchTuning.choice(layered: [], options: [[1], [1]], margin: 0.05) == nil)
        #expect(VulkanLaunchTuning.choice(layered: layered, options: [[.nan, .nan, .nan], [0, 0, 0]], margin: 0.05) == nil)
    }

    /// Per-layer parts chosen separately (the 1×1 GEMMs, the depthwise), fused only where it beats both the
    /// per-layer default by the margin and the chosen parts together.
    @Test func aBlockChoosesEachPartAndFusesOnlyWhenFasterThanTheBestParts() {
        typealias C = VulkanLaunchTuning.BlockChoice
        // Per-layer 10 ms: 1x1 GEMMs 6, depthwise 4.
        let layered: [Double] = [10, 10, 10], dw: [Double] = [4, 4, 4]
        func decide(fused: [[Double]?] = [nil, nil], gemm: [[Double]] = [], depthwise: [[Double]] = []) -> C {
            VulkanLaunchTuning.blockChoice(layered: layered, layeredDepthwise: dw, fused: fused, gemm: gemm, depthwise: depthwise, margin: 0.05)
        }
        #expect(decide() == C())
        // GEMM variant 1 (5 ms) against 6; the depthwise alternative 3.9 against 4 is inside the margin.
        #expect(decide(gemm: [[5.9, 5.9, 5.9], [5, 5, 5]], depthwise: [[3.9, 3.9, 3.9]]) == C(gemm: 1))
        #expect(decide(gemm: [[7, 7, 7]], depthwise: [[2, 2, 2]]) == C(depthwise: 0))
        #expect(decide(gemm: [[4, 4, 4]], depthwise: [[3, 3, 3]]) == C(gemm: 0, depthwise: 0))
        // Fused 8 beats the default 10 but not the parts (4 + 3 = 7): per-layer with both.
        #expect(decide(fused: [[8, 8, 8], nil], gemm: [[4, 4, 4]], depthwise: [[3, 3, 3]]) == C(gemm: 0, depthwise: 0))
        // Fused second launch 6 beats them: fused, with the second launch, no parts.
        #expect(decide(fused: [[8, 8, 8], [6, 6, 6]], gemm: [[4, 4, 4]], depthwise: [[3, 3, 3]]) == C(fused: 1))
        // A tie between fused and the parts keeps per-layer; fused inside the margin of the default never fuses.
        #expect(decide(fused: [[7, 7, 7], nil], gemm: [[4, 4, 4]], depthwise: [[3, 3, 3]]) == C(gemm: 0, depthwise: 0))
        #expect(decide(fused: [[9.6, 9.6, 9.6], nil]) == C())
        #expect(decide(fused: [[9, 9, 9], nil]) == C(fused: 0))
        // Unmeasured parts (empty samples) are no option.
        #expect(decide(gemm: [[]], depthwise: [[]]) == C())
    }

    @Test func gemmVariantsHaveDistinctNamesAndAlternativesLeaveTheDefaultOut() {
        let cpuDefault = PointwiseConv.Vulkan.Variant.vec4(.cpu), gpuDefault = PointwiseConv.Vulkan.Variant.scalar(sharedTiles: true)
        #expect(cpuDefault.description == "vec4 8x8, 8 invocations")
        #expect(gpuDefault.description == "scalar 4x4, shared tiles")
        let byKind = [(PointwiseConv.Vulkan.Variant.alternatives(on: .cpu), cpuDefault),
                      (PointwiseConv.Vulkan.Variant.alternatives(on: .discreteGPU), gpuDefault),
                      (PointwiseConv.Vulkan.Variant.alternatives(on: .integratedGPU), gpuDefault)]
        for (alternatives, fallback) in byKind {
            #expect(!alternatives.isEmpty && !alternatives.contains(fallback), "\(alternatives) against \(fallback)")
            // The cache and the record name variants: two must never share a name.
            #expect(Set((alternatives + [fallback]).map { $0.description }).count == alternatives.count + 1)
        }
        // Depthwise: the defaults are 4 columns on CPU drivers and 2 on GPUs; the alternatives leave them out.
        #expect(!DepthwiseConv.Vulkan.columnAlternatives(on: .cpu).contains(4))
        #expect(!DepthwiseConv.Vulkan.columnAlternatives(on: .discreteGPU).contains(2))
        #expect(DepthwiseConv.Vulkan.columnsDescription(1) == "vec4, 1 column per invocation")
        #expect(DepthwiseConv.Vulkan.columnsDescription(4) == "vec4, 4 columns per invocation")
    }

    /// The second fused candidate fits a quarter of the shared memory, differs from the first, and is nil
    /// where the first already fits that budget (nothing new to time).
    @Test func theOccupancyLaunchFitsAQuarterOfSharedMemory() {
        let limits = FusedBlockLaunch.Limits(sharedBytes: 49_152, subgroupSize: 32, maxInvocations: 1024, maxGroupX: 1024, maxGroupY: 1024)
        // block_1 of alpha 1.0 at 224 (112×112, 16 → 96 → 24, stride 2) and block_16 (7×7, 160 → 960 → 320).
        let shapes = [FusedBlockLaunch.Shape(height: 112, width: 112, inChannels: 16, expanded: 96, outChannels: 24, stride: 2),
                      FusedBlockLaunch.Shape(height: 7, width: 7, inChannels: 160, expanded: 960, outChannels: 320, stride: 1)]
        for shape in shapes {
            let primary = FusedBlockLaunch.choose(shape, limits: limits)
            let second = FusedBlockLaunch.occupancyLaunch(shape, limits: limits, targetThreads: 256, primary: primary)
            if let second {
                #expect(second != primary && second.sharedBytes <= limits.sharedBytes / FusedBlockLaunch.occupancyGroups,
                        "\(shape): \(second) against \(String(describing: primary))")
            } else if let primary {
                // Only where the first needs no more than the budget (the same choice) or nothing smaller fits.
                #expect(primary.sharedBytes <= limits.sharedBytes / FusedBlockLaunch.occupancyGroups
                        || FusedBlockLaunch.choose(shape, limits: .init(sharedBytes: limits.sharedBytes / 4, subgroupSize: 32,
                                                                          maxInvocations: 1024, maxGroupX: 1024, maxGroupY: 1024)) == nil,
                        "\(shape): no second launch beside \(primary)")
            }
        }
        // The big early block uses big tiles with the whole budget, so its quarter-budget launch is another one.
        let first = FusedBlockLaunch.choose(shapes[0], limits: limits)
        #expect(first.map { $0.sharedBytes > limits.sharedBytes / 4 } == true, "\(String(describing: first))")
        #expect(FusedBlockLaunch.occupancyLaunch(shapes[0], limits: limits, targetThreads: 256, primary: first) != nil)
        // A primary that already fits the quarter is not repeated.
        let roomy = FusedBlockLaunch.Limits(sharedBytes: 4 * 1_048_576, subgroupSize: 32, maxInvocations: 1024, maxGroupX: 1024, maxGroupY: 1024)
        let small = FusedBlockLaunch.choose(shapes[1], limits: roomy)
        #expect(FusedBlockLaunch.occupancyLaunch(shapes[1], limits: roomy, targetThreads: 256, primary: small) == nil)
    }

    @Test func tuningRoundsAreAtLeastThree() {
        #expect(VulkanLaunchTuning(cache: nil, softwareVersion: "t", rounds: 1).rounds == 3)
        #expect(VulkanLaunchTuning(cache: nil, softwareVersion: "t", rounds: 5).rounds == 5)
    }

    @Test func measuringDependsOnTheModeAndTheDevice() {
        #expect(FusedBlockMode.auto.measures(on: .discreteGPU) && FusedBlockMode.auto.measures(on: .integratedGPU))
        #expect(!FusedBlockMode.auto.measures(on: .cpu))
        #expect(FusedBlockMode.measure.measures(on: .cpu) && FusedBlockMode.measure.measures(on: .discreteGPU))
        #expect(!FusedBlockMode.on.measures(on: .discreteGPU) && !FusedBlockMode.off.measures(on: .discreteGPU))
    }
}
