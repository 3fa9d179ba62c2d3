import Common
import CVulkan
import Foundation

/// How to open a Vulkan context.
public struct VulkanOptions: Sendable {
    /// Index into `VulkanContext.devices()`; nil picks the preferred device (discrete, integrated, CPU).
    public var deviceIndex: Int?
    /// Enable VK_LAYER_KHRONOS_validation (the CLI and the tests set it from IMGFEAT_VULKAN_VALIDATION=1).
    public var validation: Bool
    /// The Vulkan loader to open instead of libvulkan.so.1 (the CLI sets it from IMGFEAT_VULKAN_LOADER).
    /// The loader is opened once per process: the first context or listing decides.
    public var loaderPath: String?
    /// Where compiled SPIR-V is cached; nil keeps it in memory only.
    public var shaderCache: URL?
    /// A folder of GLSL sources the launchers look in before the bundled ones (the CLI sets it from
    /// IMGFEAT_SHADERS); the runtime only carries it.
    public var shaderSources: URL?
    /// Caps the dispatch grid's y and z axes below the device's own limits (a test seam: on small shapes the
    /// launchers then split their dispatches as a GPU's 65,535-group y and z make them at large batches; x,
    /// at least 2^31 − 1 on GPUs, stays); nil: the device's.
    public var maxWorkgroupCount: Int?

    public init(deviceIndex: Int? = nil, validation: Bool = false, loaderPath: String? = nil,
                shaderCache: URL? = VulkanOptions.homeShaderCache, shaderSources: URL? = nil) {
        self.deviceIndex = deviceIndex
        self.validation = validation
        self.loaderPath = loaderPath
        self.shaderCache = shaderCache
        self.shaderSources = shaderSources
    }

    /// `~/.cache/imgfeat/spirv`; the CLI puts it under `$XDG_CACHE_HOME` when that is set.
    public static var homeShaderCache: URL {
        FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/imgfeat/spirv")
    }
}

/// A VkDevice; destroyed after every object made from it (they hold it strongly).
final class VulkanDevice {
    let handle: VkDevice
    let instance: VulkanInstance

    init(handle: VkDevice, instance: VulkanInstance) {
        self.handle = handle
        self.instance = instance
    }

    deinit {
        vkDeviceWaitIdle(handle)
        vkDestroyDevice(handle, nil)
    }
}

/// The manager: one instance, one logical device with one compute queue, and its memory allocator.
public final class VulkanContext: @unchecked Sendable {
    /// The chosen device's properties and limits.
    public let info: DeviceInfo
    /// Validation messages, when validation is on.
    public let validationLog: ValidationLog?
    /// Whether 16-bit storage was enabled on the device (fp16 activations and weights).
    public let float16StorageEnabled: Bool
    /// Whether float16 arithmetic (`shaderFloat16`) was enabled on the device.
    public let float16ArithmeticEnabled: Bool
    /// Whether `VK_NV_cooperative_matrix` was enabled (with float16 arithmetic and the Vulkan memory model):
    /// the device lists a float16 × float16 + float32 shape for compute shaders.
    public let cooperativeMatrixEnabled: Bool
    /// Where this context's pipelines cache their SPIR-V (nil: not on disk).
    public let shaderCache: URL?
    /// The GLSL folder launchers on this context look in first (`VulkanOptions.shaderSources`).
    public let shaderSources: URL?
    let device: VulkanDevice
    let physicalDevice: VkPhysicalDevice
    let queue: VkQueue
    let queueFamily: UInt32
    let allocator: MemoryAllocator
    private let queueLock = NSLock()

    var handle: VkDevice { device.handle }

    /// Lists the Vulkan physical devices (through `options.loaderPath`, if set); throws when there is
    /// no loader, driver or device.
    public static func devices(options: VulkanOptions = VulkanOptions()) throws -> [DeviceInfo] {
        let instance = try VulkanInstance(validation: false, loaderPath: options.loaderPath)
        let devices = try instance.physicalDevices().enumerated().map {
            try DeviceInfo(index: $0, physicalDevice: $1, instance: instance.handle)
        }
        if devices.isEmpty {
            throw VulkanError(call: "vkEnumeratePhysicalDevices", message: "no Vulkan device found (on Debian install mesa-vulkan-drivers for lavapipe)")
        }
        return devices
    }

    /// The index `VulkanContext(options:)` would pick with no explicit index.
    public static func preferredIndex(among devices: [DeviceInfo]) -> Int? {
        devices.filter { $0.computeQueueFamily != nil }
            .max { ($0.kind.preference, -$0.index) < ($1.kind.preference, -$1.index) }?.index
    }

    public init(options: VulkanOptions = VulkanOptions()) throws {
        let instance = try VulkanInstance(validation: options.validation, loaderPath: options.loaderPath)
        let physical = try instance.physicalDevices()
        let infos = try physical.enumerated().map { try DeviceInfo(index: $0, physicalDevice: $1, instance: instance.handle) }
        guard !infos.isEmpty else {
            throw VulkanError(call: "vkEnumeratePhysicalDevices", message: "no Vulkan device found (on Debian install mesa-vulkan-drivers for lavapipe)")
        }
        let index: Int
        if let requested = options.deviceIndex {
            guard infos.indices.contains(requested) else {
                throw VulkanError(call: "VulkanContext", message: "device index \(requested) out of range: \(infos.count) device(s)")
            }
            index = requested
        } else {
            guard let preferred = Self.preferredIndex(among: infos) else {
                throw VulkanError(call: "VulkanContext", message: "no Vulkan device has a compute queue")
            }
            index = preferred
        }
        var info = infos[index]
        if let cap = options.maxWorkgroupCount {
            info.maxWorkgroupCount = info.maxWorkgroupCount.enumerated().map { $0.offset == 0 ? $0.element : min($0.element, UInt32(max(1, cap))) }
        }
        guard let family = info.computeQueueFamily else {
            throw VulkanError(call: "VulkanContext", message: "device \(index) (\(info.name)) has no compute queue")
        }
        guard info.rawAPIVersion >= vulkanVersion(1, 1) else {
            throw VulkanError(call: "VulkanContext", message: "device \(info.name) supports only Vulkan \(info.apiVersion); 1.1 needed")
        }
        let is12 = info.rawAPIVersion >= vulkanVersion(1, 2)
        let enable16 = info.supports16BitStorage
        let enableFloat16 = is12 && info.supportsFloat16Arithmetic
        // The cooperative-matrix kernel (GL_NV_cooperative_matrix) needs float16 types, 16-bit storage and
        // the Vulkan memory model besides the extension; enabled only when the device has all of them.
        let enableCoopMat = is12 && enable16 && enableFloat16 && info.supportsVulkanMemoryModel
            && !info.cooperativeMatrix.kernelShapes.isEmpty
        var features11 = VkPhysicalDeviceVulkan11Features()
        features11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES
        features11.storageBuffer16BitAccess = VkBool32(enable16 ? VK_TRUE : VK_FALSE)
        var features12 = VkPhysicalDeviceVulkan12Features()
        features12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES
        features12.shaderFloat16 = VkBool32(enableFloat16 ? VK_TRUE : VK_FALSE)
        features12.vulkanMemoryModel = VkBool32(enableCoopMat ? VK_TRUE : VK_FALSE)
        var coopMatFeatures = VkPhysicalDeviceCooperativeMatrixFeaturesNV()
        coopMatFeatures.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV
        coopMatFeatures.cooperativeMatrix = VkBool32(VK_TRUE)
        let extensionNames = enableCoopMat ? [VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME] : []
        var priority: Float = 1
        var device: VkDevice?
        let result = withUnsafePointer(to: &priority) { priorityPointer in
            var queueInfo = VkDeviceQueueCreateInfo()
            queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
            queueInfo.queueFamilyIndex = family
            queueInfo.queueCount = 1
            queueInfo.pQueuePriorities = priorityPointer
            return withUnsafePointer(to: &queueInfo) { queuePointer in
                withUnsafeMutablePointer(to: &coopMatFeatures) { coopMatPointer in
                    if enableCoopMat { features12.pNext = UnsafeMutableRawPointer(coopMatPointer) }
                    return withUnsafeMutablePointer(to: &features12) { pointer12 in
                        features11.pNext = UnsafeMutableRawPointer(pointer12)
                        return withUnsafeMutablePointer(to: &features11) { featuresPointer in
                            withCStrings(extensionNames) { extensions in
                                var create = VkDeviceCreateInfo()
                                create.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
                                create.queueCreateInfoCount = 1
                                create.pQueueCreateInfos = queuePointer
                                create.enabledExtensionCount = UInt32(extensionNames.count)
                                create.ppEnabledExtensionNames = extensions
                                // The 1.1 and 1.2 feature structs are only valid on 1.2+ devices.
                                if is12 { create.pNext = UnsafeRawPointer(featuresPointer) }
                                return vkCreateDevice(physical[index], &create, nil, &device)
                            }
                        }
                    }
                }
            }
        }
        try check(result, "vkCreateDevice")
        guard let device else { throw VulkanError(call: "vkCreateDevice", message: "returned no device") }
        let owned = VulkanDevice(handle: device, instance: instance)
        var queue: VkQueue?
        vkGetDeviceQueue(device, family, 0, &queue)
        guard let queue else { throw VulkanError(call: "vkGetDeviceQueue", message: "returned no queue") }
        self.info = info
        self.validationLog = instance.validationLog
        self.float16StorageEnabled = enable16 && is12
        self.float16ArithmeticEnabled = enableFloat16
        self.cooperativeMatrixEnabled = enableCoopMat
        self.shaderCache = options.shaderCache
        self.shaderSources = options.shaderSources
        self.device = owned
        self.physicalDevice = physical[index]
        self.queue = queue
        self.queueFamily = family
        self.allocator = MemoryAllocator(device: owned, physicalDevice: physical[index])
    }

    /// Number of VkDeviceMemory blocks in use (buffers are sub-allocated inside them).
    public var memoryBlockCount: Int { allocator.blockCount }

    /// Vulkan objects created on this context so far, so callers can check that a steady loop creates none.
    public var creations: ResourceCreations {
        var counts = creationCounts.value
        counts.memoryBlocks = allocator.lockedBlocksCreated
        return counts
    }
    let creationCounts = LockedValue(ResourceCreations())

    /// Submits a recorded command buffer; the queue is externally synchronised, hence the lock.
    func submit(_ commandBuffer: VkCommandBuffer, fence: VkFence) throws {
        var buffer: VkCommandBuffer? = commandBuffer
        var submit = VkSubmitInfo()
        submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
        submit.commandBufferCount = 1
        let result = withUnsafePointer(to: &buffer) { pointer in
            submit.pCommandBuffers = pointer
            return queueLock.withLock { vkQueueSubmit(queue, 1, &submit, fence) }
        }
        try check(result, "vkQueueSubmit")
    }
}
