import Pipeline
import Testing

/// What the edge reads from the environment for the Vulkan engine's fused blocks, and where it goes.
@Suite struct EnvironmentSettingsTests {
    @Test(arguments: [(nil, "auto"), ("auto", "auto"), ("on", "on"), ("off", "off"), ("measure", "measure")])
    func fusedBlocksFromEnvironment(_ value: String?, expected: String) {
        let environment = value.map { ["IMGFEAT_VULKAN_FUSED_BLOCKS": $0] } ?? [:]
        let settings = EnvironmentSettings(environment: environment)
        #expect(settings.fusedBlocks.rawValue == expected, "IMGFEAT_VULKAN_FUSED_BLOCKS=\(value ?? "(unset)")")
        #expect(RunOptions(input: "in", output: "out", settings: settings).fusedBlocks.rawValue == expected)
    }

    /// An unknown value is one line naming the variable, its value and the accepted values, and stops a command.
    @Test func unknownFusedBlocksValueIsOneLine() throws {
        let settings = EnvironmentSettings(environment: ["IMGFEAT_VULKAN_FUSED_BLOCKS": "yes"])
        let line = "IMGFEAT_VULKAN_FUSED_BLOCKS=yes is not a fused-block mode; accepted values: auto, on, off, measure"
        #expect(settings.problems == [line])
        #expect(EnvironmentSettings(environment: [:]).problems.isEmpty)
        let options = RunOptions(input: "in", output: "out", settings: settings)
        #expect(throws: (any Error).self) { try options.validate() }
        do { try options.validate() } catch { #expect("\(error)" == line) }
    }
}
