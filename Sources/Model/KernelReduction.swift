import VulkanRuntime

/// How a kernel adds partial sums across invocations: with subgroup arithmetic (`subgroupAdd`, no shared
/// memory, no barrier) where the device has it in compute shaders, else the shared-memory (or
/// one-invocation-per-output) variant every device runs, which is also what the subgroup one is tested against.
public enum KernelReduction: String, Sendable, CaseIterable {
    case subgroup
    case sharedMemory = "shared-memory"

    /// The operations the subgroup variants use: `gl_SubgroupID` / `gl_NumSubgroups` (basic) and
    /// `subgroupAdd` / `subgroupExclusiveAdd` (arithmetic).
    public static let requiredOperations = ["basic", "arithmetic"]

    /// `subgroup` when the compute stage supports every operation in `requiredOperations` and the reported
    /// subgroup size is a power of two (every Vulkan device's; 0 means the query was not made, a device below
    /// Vulkan 1.2), else `sharedMemory`. The kernels assume no particular size: the launchers only use it to
    /// size work groups.
    public static func choose(computeSubgroupOperations operations: [String], subgroupSize: UInt32) -> KernelReduction {
        let sizeKnown = subgroupSize >= 1 && subgroupSize & (subgroupSize - 1) == 0
        return sizeKnown && requiredOperations.allSatisfy(operations.contains) ? .subgroup : .sharedMemory
    }

    /// The choice for `info`'s device (its `subgroupOperations` are those of the compute stage).
    public static func choose(_ info: DeviceInfo) -> KernelReduction {
        choose(computeSubgroupOperations: info.subgroupOperations, subgroupSize: info.subgroupSize)
    }

    /// The shader define that selects the variant.
    var defines: [String: String] { self == .subgroup ? ["REDUCE_SUBGROUP": "1"] : [:] }
}
