import Testing
import VulkanRuntime

@Test func VulkanRuntimeModuleLinks() {
    #expect(String(describing: VulkanRuntimeModule.self) == "VulkanRuntimeModule")
}
