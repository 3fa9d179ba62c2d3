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
        #expect(VulkanLaunchTuning.decisions(fused: fused, layered: layered, margin: 0.05) == [true, false, false, false, false])
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
