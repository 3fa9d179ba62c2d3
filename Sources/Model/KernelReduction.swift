import VulkanRuntime

/// How a kernel adds partial sums across invocations: with subgroup arithmetic (`subgroupAdd`, no shared
/// memory, no barrier) on GPUs that have it in compute shaders, else the shared-memory (or
/// one-invocation-per-output) variant every device runs, which is also what the subgroup one is tested against.
public enum KernelReduction: String, Sendable, CaseIterable {
    case subgroup
    case sharedMemory = "shared-memory"

    /// The operations the subgroup variants use: `gl_SubgroupID` / `gl_NumSubgroups` (basic) and
    /// `subgroupAdd` / `subgroupExclusiveAdd` (arithmetic).
    public static let requiredOperations = ["basic", "arithmetic"]

    /// Whether the subgroup variants can run: the compute stage supports every operation in
    /// `requiredOperations` and the reported subgroup size is a power of two (every Vulkan device's; 0 means
    /// the query was not made, a device below Vulkan 1.2). The kernels assume no particular size: the
    /// launchers only use it to size work groups.
    public static func available(computeSubgroupOperations operations: [String], subgroupSize: UInt32) -> Bool {
        subgroupSize >= 1 && subgroupSize & (subgroupSize - 1) == 0 && requiredOperations.allSatisfy(operations.contains)
    }

    /// The variant a device of `kind` runs: `subgroup` on GPUs where `available`, else `sharedMemory`. CPU
    /// drivers (lavapipe) keep their own profile, the default variants: there `head_pool` runs 8×1 work
    /// groups, so it has no shared-memory round trip to remove, and the subgroup variants measured slower
    /// (up to 3.6×, docs/PERFORMANCE.md).
    public static func choose(computeSubgroupOperations operations: [String], subgroupSize: UInt32, kind: DeviceKind) -> KernelReduction {
        kind != .cpu && available(computeSubgroupOperations: operations, subgroupSize: subgroupSize) ? .subgroup : .sharedMemory
    }

    /// Whether `info`'s device can run the subgroup variants (its `subgroupOperations` are the compute stage's).
    public static func available(_ info: DeviceInfo) -> Bool {
        available(computeSubgroupOperations: info.subgroupOperations, subgroupSize: info.subgroupSize)
    }

    /// The variant `info`'s device runs.
    public static func choose(_ info: DeviceInfo) -> KernelReduction {
        choose(computeSubgroupOperations: info.subgroupOperations, subgroupSize: info.subgroupSize, kind: info.kind)
    }

    /// Throws, naming `call`, where this is the subgroup variant and `info`'s device cannot run it.
    func check(_ info: DeviceInfo, call: String) throws {
        if self == .subgroup && !Self.available(info) {
            throw VulkanError(call: call, message: "\(info.name) lacks subgroup \(Self.requiredOperations.joined(separator: " and ")) operations in compute shaders")
        }
    }

    /// The shader define that selects the variant.
    var defines: [String: String] { self == .subgroup ? ["REDUCE_SUBGROUP": "1"] : [:] }
}

extension KernelReduction {
    /// What `IMGFEAT_VULKAN_REDUCTION` asks for: the device's choice (`auto`), or one variant forced, so the
    /// two can be compared on one device.
    public enum Mode: String, Sendable, CaseIterable {
        case auto, subgroup
        case sharedMemory = "shared-memory"

        /// The variant forced, nil where the device chooses.
        public var forced: KernelReduction? {
            switch self {
            case .auto: nil
            case .subgroup: .subgroup
            case .sharedMemory: .sharedMemory
            }
        }
    }
}
