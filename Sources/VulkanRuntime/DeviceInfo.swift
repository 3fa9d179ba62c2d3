import CVulkan

/// What a physical device is, in the order the runtime prefers them.
public enum DeviceKind: String, Sendable {
    case discreteGPU = "discrete GPU", integratedGPU = "integrated GPU", virtualGPU = "virtual GPU"
    case cpu = "CPU", other = "other"

    init(_ type: VkPhysicalDeviceType) {
        switch type {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: self = .discreteGPU
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: self = .integratedGPU
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: self = .virtualGPU
        case VK_PHYSICAL_DEVICE_TYPE_CPU: self = .cpu
        default: self = .other
        }
    }

    /// Higher is preferred when choosing a device automatically.
    var preference: Int {
        switch self {
        case .discreteGPU: return 4
        case .integratedGPU: return 3
        case .virtualGPU: return 2
        case .cpu: return 1
        case .other: return 0
        }
    }
}

/// One memory heap of a device.
public struct MemoryHeapInfo: Sendable {
    public let size: UInt64
    public let deviceLocal: Bool
}

/// Everything the runtime and its users need to know about one Vulkan physical device.
public struct DeviceInfo: Sendable {
    public let index: Int
    public let name: String
    public let kind: DeviceKind
    public let vendorID: UInt32
    public let deviceID: UInt32
    public let driverName: String
    public let driverInfo: String
    public let driverVersion: UInt32
    public let apiVersion: String
    public let memoryHeaps: [MemoryHeapInfo]
    /// 16-bit storage in storage buffers (the fp16 precision option needs it).
    public let supports16BitStorage: Bool
    /// float16 arithmetic in shaders.
    public let supportsFloat16Arithmetic: Bool
    public let subgroupSize: UInt32
    /// Subgroup operations supported in compute shaders ("basic", "arithmetic", "ballot", ...).
    public let subgroupOperations: [String]
    public let maxSharedMemoryBytes: UInt32
    public let maxStorageBufferRange: UInt32
    public let maxWorkgroupInvocations: UInt32
    public let maxWorkgroupSize: [UInt32]
    /// Most work groups of a dispatch per grid axis (y and z lowered by `VulkanOptions.maxWorkgroupCount`, a test seam).
    public internal(set) var maxWorkgroupCount: [UInt32]
    public let maxPushConstantsSize: UInt32
    public let minStorageBufferOffsetAlignment: UInt64
    /// Nanoseconds per timestamp tick.
    public let timestampPeriod: Float
    /// Whether the compute queue writes valid timestamps.
    public let supportsTimestamps: Bool
    /// The Vulkan memory model (`vulkanMemoryModel`), which the cooperative-matrix kernel's SPIR-V declares.
    public let supportsVulkanMemoryModel: Bool
    /// Cooperative matrices (tensor cores) through `VK_NV_cooperative_matrix` and `VK_KHR_cooperative_matrix`.
    public let cooperativeMatrix: CooperativeMatrixSupport
    /// Device extensions the runtime may enable.
    let extensions: Set<String>
    /// Index of the first queue family with compute, nil when none.
    let computeQueueFamily: UInt32?
    let rawAPIVersion: UInt32

    /// One line per property, for `imgfeat devices`.
    public var summary: String {
        let heaps = memoryHeaps.map { "\($0.size >> 20) MiB\($0.deviceLocal ? " device-local" : "")" }
        return """
        [\(index)] \(name) (\(kind.rawValue))
            driver: \(driverName) \(driverInfo), Vulkan \(apiVersion)
            memory heaps: \(heaps.joined(separator: ", "))
            fp16 storage: \(supports16BitStorage ? "yes" : "no"), fp16 arithmetic: \(supportsFloat16Arithmetic ? "yes" : "no")
            subgroup: size \(subgroupSize), in compute shaders: \(subgroupOperations.isEmpty ? "none" : subgroupOperations.joined(separator: " "))
            limits: shared memory \(maxSharedMemoryBytes) B, storage buffer range \(maxStorageBufferRange >> 20) MiB, \
        workgroup \(maxWorkgroupInvocations) invocations, timestamp period \(timestampPeriod) ns
            cooperative matrix: \(cooperativeMatrix.summary)
        """
    }

    init(index: Int, physicalDevice: VkPhysicalDevice, instance: VkInstance) throws {
        self.index = index
        var properties = VkPhysicalDeviceProperties()
        vkGetPhysicalDeviceProperties(physicalDevice, &properties)
        let api = properties.apiVersion
        rawAPIVersion = api
        apiVersion = "\(api >> 22).\((api >> 12) & 0x3FF).\(api & 0xFFF)"
        name = fixedString(properties.deviceName)
        kind = DeviceKind(properties.deviceType)
        vendorID = properties.vendorID
        deviceID = properties.deviceID
        driverVersion = properties.driverVersion
        let limits = properties.limits
        maxSharedMemoryBytes = limits.maxComputeSharedMemorySize
        maxStorageBufferRange = limits.maxStorageBufferRange
        maxWorkgroupInvocations = limits.maxComputeWorkGroupInvocations
        maxWorkgroupSize = [limits.maxComputeWorkGroupSize.0, limits.maxComputeWorkGroupSize.1,
                            limits.maxComputeWorkGroupSize.2]
        maxWorkgroupCount = [limits.maxComputeWorkGroupCount.0, limits.maxComputeWorkGroupCount.1,
                             limits.maxComputeWorkGroupCount.2]
        maxPushConstantsSize = limits.maxPushConstantsSize
        minStorageBufferOffsetAlignment = limits.minStorageBufferOffsetAlignment
        timestampPeriod = limits.timestampPeriod

        // Vulkan 1.1/1.2 property and feature structs are only defined for devices that report 1.2+.
        var subgroup = VkPhysicalDeviceSubgroupProperties()
        subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES
        var driver = VkPhysicalDeviceDriverProperties()
        driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES
        var features11 = VkPhysicalDeviceVulkan11Features()
        features11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES
        var features12 = VkPhysicalDeviceVulkan12Features()
        features12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES
        if api >= vulkanVersion(1, 2) {
            withUnsafeMutablePointer(to: &driver) { driverPointer in
                subgroup.pNext = UnsafeMutableRawPointer(driverPointer)
                withUnsafeMutablePointer(to: &subgroup) { subgroupPointer in
                    var properties2 = VkPhysicalDeviceProperties2()
                    properties2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
                    properties2.pNext = UnsafeMutableRawPointer(subgroupPointer)
                    vkGetPhysicalDeviceProperties2(physicalDevice, &properties2)
                }
            }
            withUnsafeMutablePointer(to: &features12) { pointer12 in
                features11.pNext = UnsafeMutableRawPointer(pointer12)
                withUnsafeMutablePointer(to: &features11) { pointer11 in
                    var features2 = VkPhysicalDeviceFeatures2()
                    features2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
                    features2.pNext = UnsafeMutableRawPointer(pointer11)
                    vkGetPhysicalDeviceFeatures2(physicalDevice, &features2)
                }
            }
        }
        driverName = fixedString(driver.driverName)
        driverInfo = fixedString(driver.driverInfo)
        supports16BitStorage = features11.storageBuffer16BitAccess != 0
        supportsFloat16Arithmetic = features12.shaderFloat16 != 0
        supportsVulkanMemoryModel = features12.vulkanMemoryModel != 0
        extensions = try deviceExtensions(physicalDevice)
        cooperativeMatrix = api >= vulkanVersion(1, 2)
            ? try CooperativeMatrixSupport.query(instance: instance, physicalDevice: physicalDevice, extensions: extensions) : .none
        subgroupSize = subgroup.subgroupSize
        let computeStages = subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT.rawValue != 0
        let names: [(VkSubgroupFeatureFlagBits, String)] = [
            (VK_SUBGROUP_FEATURE_BASIC_BIT, "basic"), (VK_SUBGROUP_FEATURE_VOTE_BIT, "vote"),
            (VK_SUBGROUP_FEATURE_ARITHMETIC_BIT, "arithmetic"), (VK_SUBGROUP_FEATURE_BALLOT_BIT, "ballot"),
            (VK_SUBGROUP_FEATURE_SHUFFLE_BIT, "shuffle"), (VK_SUBGROUP_FEATURE_SHUFFLE_RELATIVE_BIT, "shuffle-relative"),
            (VK_SUBGROUP_FEATURE_CLUSTERED_BIT, "clustered"), (VK_SUBGROUP_FEATURE_QUAD_BIT, "quad"),
        ]
        subgroupOperations = computeStages
            ? names.filter { subgroup.supportedOperations & $0.0.rawValue != 0 }.map(\.1) : []

        var memory = VkPhysicalDeviceMemoryProperties()
        vkGetPhysicalDeviceMemoryProperties(physicalDevice, &memory)
        memoryHeaps = withUnsafeBytes(of: memory.memoryHeaps) { raw in
            let heaps = raw.bindMemory(to: VkMemoryHeap.self)
            return (0..<Int(memory.memoryHeapCount)).map {
                MemoryHeapInfo(size: heaps[$0].size,
                               deviceLocal: heaps[$0].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT.rawValue != 0)
            }
        }

        var familyCount: UInt32 = 0
        vkGetPhysicalDeviceQueueFamilyProperties(physicalDevice, &familyCount, nil)
        var families = [VkQueueFamilyProperties](repeating: VkQueueFamilyProperties(), count: Int(familyCount))
        vkGetPhysicalDeviceQueueFamilyProperties(physicalDevice, &familyCount, &families)
        let family = families.firstIndex { $0.queueFlags & VK_QUEUE_COMPUTE_BIT.rawValue != 0 }
        computeQueueFamily = family.map { UInt32($0) }
        supportsTimestamps = family.map { families[$0].timestampValidBits > 0 } ?? false
    }
}

/// VK_MAKE_API_VERSION(0, major, minor, 0): a C macro Swift cannot import.
func vulkanVersion(_ major: UInt32, _ minor: UInt32) -> UInt32 { (major << 22) | (minor << 12) }

/// A Swift string from a fixed-size, NUL-terminated C char array imported as a tuple.
func fixedString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
