import Testing
@testable import VulkanRuntime

@Test func VulkanRuntimeModuleLinks() {
    #expect(String(describing: VulkanRuntimeModule.self) == "VulkanRuntimeModule")
}
