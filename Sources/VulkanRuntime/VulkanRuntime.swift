/// Namespace for the VulkanRuntime module.
public enum VulkanRuntimeModule {}
