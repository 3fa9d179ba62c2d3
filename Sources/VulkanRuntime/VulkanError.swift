import CVulkan

/// An error from the Vulkan runtime: the failing call or object, and the cause, on one line.
public struct VulkanError: Error, CustomStringConvertible, Sendable {
    /// The Vulkan call or runtime object that failed.
    public let call: String
    /// The raw VkResult, or 0 when the failure was not a Vulkan result code.
    public let result: Int32
    /// A human-readable cause.
    public let message: String

    public init(call: String, result: Int32 = 0, message: String) {
        self.call = call
        self.result = result
        self.message = message
    }

    public var description: String { "\(call): \(message)" }
}

/// Throws a `VulkanError` naming `call` unless `result` is VK_SUCCESS (or another non-error status).
@inline(__always)
public func check(_ result: VkResult, _ call: StaticString) throws {
    if result.rawValue < 0 {
        throw VulkanError(call: "\(call)", result: result.rawValue, message: "failed with \(resultName(result))")
    }
}

/// The VkResult's enumerator name, for error messages.
func resultName(_ result: VkResult) -> String {
    switch result {
    case VK_SUCCESS: return "VK_SUCCESS"
    case VK_NOT_READY: return "VK_NOT_READY"
    case VK_TIMEOUT: return "VK_TIMEOUT"
    case VK_INCOMPLETE: return "VK_INCOMPLETE"
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY"
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY"
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED"
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST"
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED"
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT"
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT"
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT"
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER"
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS"
    case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED"
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL"
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY"
    default: return "VkResult(\(result.rawValue))"
    }
}
