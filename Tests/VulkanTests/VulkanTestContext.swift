import Foundation
import VulkanRuntime

/// One validated Vulkan context shared by the Vulkan tests (device creation costs ~100 ms on lavapipe).
/// Validation is on even when the tests run alone; no device is a failure, never a skip.
let sharedVulkanContext: Result<VulkanContext, any Error> = Result {
    try VulkanContext(options: VulkanOptions(validation: true))
}

/// The shared context, or the error (no loader, no device) that fails the calling test.
func vulkanContext() throws -> VulkanContext { try sharedVulkanContext.get() }

/// Validation messages recorded so far on the shared context (any message fails the test that sees it).
func validationMessages() throws -> [String] { try vulkanContext().validationLog?.messages ?? ["validation is off"] }
