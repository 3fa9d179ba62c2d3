/// Counts of the Vulkan objects a context has created: a steady loop (one batch after another) should
/// add none, which `VulkanContext.creations` lets a test or a benchmark check.
public struct ResourceCreations: Sendable, Equatable {
    /// `Buffer`s sub-allocated (each also a VkBuffer).
    public var buffers = 0
    /// VkDeviceMemory blocks allocated by the memory allocator.
    public var memoryBlocks = 0
    /// Compute pipelines built.
    public var pipelines = 0
    /// Descriptor pools created by command sequences.
    public var descriptorPools = 0
    /// Command sequences created (each a command pool, a fence and maybe a query pool).
    public var commandSequences = 0

    public init() {}

    /// What was created between `earlier` and this count.
    public func since(_ earlier: ResourceCreations) -> ResourceCreations {
        var d = ResourceCreations()
        d.buffers = buffers - earlier.buffers
        d.memoryBlocks = memoryBlocks - earlier.memoryBlocks
        d.pipelines = pipelines - earlier.pipelines
        d.descriptorPools = descriptorPools - earlier.descriptorPools
        d.commandSequences = commandSequences - earlier.commandSequences
        return d
    }

    /// Total objects counted.
    public var total: Int { buffers + memoryBlocks + pipelines + descriptorPools + commandSequences }
}
