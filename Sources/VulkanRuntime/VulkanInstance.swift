import CVulkan
import Foundation

/// Messages the Khronos validation layer reported (warnings and errors), kept so tests can assert
/// there were none.
public final class ValidationLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    /// Every warning or error message recorded so far.
    public var messages: [String] { lock.withLock { stored } }

    /// Forgets the messages recorded so far.
    public func clear() { lock.withLock { stored.removeAll() } }

    func record(_ message: String) { lock.withLock { stored.append(message) } }
}

/// A VkInstance, with the validation layer and a debug messenger when asked for.
final class VulkanInstance {
    let handle: VkInstance
    let validationLog: ValidationLog?
    private var messenger: VkDebugUtilsMessengerEXT?

    static let validationLayer = "VK_LAYER_KHRONOS_validation"

    init(validation: Bool, loaderPath: String?) throws {
        try VulkanLoader.loadGlobalFunctions(library: loaderPath)
        if validation {
            var count: UInt32 = 0
            try check(vkEnumerateInstanceLayerProperties(&count, nil), "vkEnumerateInstanceLayerProperties")
            var layers = [VkLayerProperties](repeating: VkLayerProperties(), count: Int(count))
            try check(vkEnumerateInstanceLayerProperties(&count, &layers), "vkEnumerateInstanceLayerProperties")
            guard layers.contains(where: { fixedString($0.layerName) == Self.validationLayer }) else {
                throw VulkanError(call: "vkCreateInstance",
                                  message: "validation requested but \(Self.validationLayer) is not installed (Debian: vulkan-validationlayers)")
            }
        }
        let layerNames = validation ? [Self.validationLayer] : []
        let extensionNames = validation ? ["VK_EXT_debug_utils"] : []
        let log = validation ? ValidationLog() : nil
        var instance: VkInstance?
        let result: VkResult = withCStrings(layerNames) { layers in
            withCStrings(extensionNames) { extensions in
                "imgfeat".withCString { appName in
                    var app = VkApplicationInfo()
                    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
                    app.pApplicationName = appName
                    app.pEngineName = appName
                    app.apiVersion = vulkanVersion(1, 2)
                    return withUnsafePointer(to: &app) { appPointer in
                        var info = VkInstanceCreateInfo()
                        info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
                        info.pApplicationInfo = appPointer
                        info.enabledLayerCount = UInt32(layerNames.count)
                        info.ppEnabledLayerNames = layers
                        info.enabledExtensionCount = UInt32(extensionNames.count)
                        info.ppEnabledExtensionNames = extensions
                        return vkCreateInstance(&info, nil, &instance)
                    }
                }
            }
        }
        if result == VK_ERROR_INCOMPATIBLE_DRIVER || result == VK_ERROR_INITIALIZATION_FAILED {
            throw VulkanError(call: "vkCreateInstance", result: result.rawValue,
                              message: "no Vulkan loader/driver found (\(resultName(result)); on Debian install mesa-vulkan-drivers)")
        }
        try check(result, "vkCreateInstance")
        guard let instance else {
            throw VulkanError(call: "vkCreateInstance", message: "returned no instance")
        }
        try VulkanLoader.loadInstanceFunctions(from: instance)
        handle = instance
        validationLog = log
        if let log { try installMessenger(log) }
    }

    private func installMessenger(_ log: ValidationLog) throws {
        guard let address = vkGetInstanceProcAddr(handle, "vkCreateDebugUtilsMessengerEXT") else {
            throw VulkanError(call: "vkGetInstanceProcAddr", message: "vkCreateDebugUtilsMessengerEXT not found")
        }
        let create = unsafeBitCast(address, to: PFN_vkCreateDebugUtilsMessengerEXT.self)
        var info = VkDebugUtilsMessengerCreateInfoEXT()
        info.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT
        info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT.rawValue
            | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT.rawValue
        info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT.rawValue
            | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT.rawValue
            | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT.rawValue
        info.pfnUserCallback = { _, _, data, userData in
            if let data, let userData, let text = data.pointee.pMessage {
                Unmanaged<ValidationLog>.fromOpaque(userData).takeUnretainedValue().record(String(cString: text))
            }
            return VkBool32(VK_FALSE)
        }
        // The log outlives the messenger: this instance holds it and destroys the messenger first.
        info.pUserData = Unmanaged.passUnretained(log).toOpaque()
        var messenger: VkDebugUtilsMessengerEXT?
        try check(create(handle, &info, nil, &messenger), "vkCreateDebugUtilsMessengerEXT")
        self.messenger = messenger
    }

    /// The physical devices, in the driver's order.
    func physicalDevices() throws -> [VkPhysicalDevice] {
        var count: UInt32 = 0
        try check(vkEnumeratePhysicalDevices(handle, &count, nil), "vkEnumeratePhysicalDevices")
        var devices = [VkPhysicalDevice?](repeating: nil, count: Int(count))
        try check(vkEnumeratePhysicalDevices(handle, &count, &devices), "vkEnumeratePhysicalDevices")
        return devices.prefix(Int(count)).compactMap { $0 }
    }

    deinit {
        if let messenger, let address = vkGetInstanceProcAddr(handle, "vkDestroyDebugUtilsMessengerEXT") {
            unsafeBitCast(address, to: PFN_vkDestroyDebugUtilsMessengerEXT.self)(handle, messenger, nil)
        }
        vkDestroyInstance(handle, nil)
    }
}

/// Calls `body` with a C array of C strings that lives for the duration of the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let duplicated = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    let pointers = duplicated.map { UnsafePointer<CChar>($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
