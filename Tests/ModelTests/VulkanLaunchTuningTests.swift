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
