import Pipeline
import Testing

/// What the edge reads from the environment for the Vulkan engine's fused blocks, and where it goes.
@Suite struct EnvironmentSettingsTests {
    @Test(arguments: [(nil, "auto"), ("auto", "auto"), ("on", "on"), ("off", "off")])
    func fusedBlocksFromEnvironment(_ value: String?, expected: String) {
        let environment = value.map { ["IMGFEAT_VULKAN_FUSED_BLOCKS": $0] } ?? [:]
        let settings = EnvironmentSettings(environment: environment)
        #expect(settings.fusedBlocks.rawValue == expected, "IMGFEAT_VULKAN_FUSED_BLOCKS=\(value ?? "(unset)")")
        #expect(RunOptions(input: "in", output: "out", settings: settings).fusedBlocks.rawValue == expected)
    }
}
