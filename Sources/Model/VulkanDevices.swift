import VulkanRuntime

/// A Vulkan device as the engines see it: name, kind, memory, features (`imgfeat devices`).
public typealias VulkanDeviceInfo = DeviceInfo

/// The Vulkan devices the engines can run on: the one way above Model to reach them.
public enum VulkanDevices {
    /// Every physical device; throws when there is no loader, driver or device.
    public static func list() throws -> [VulkanDeviceInfo] {
        try VulkanContext.devices()
    }

    /// The index `--device vulkan` takes when none is given.
    public static func preferredIndex(among devices: [VulkanDeviceInfo]) -> Int? {
        VulkanContext.preferredIndex(among: devices)
    }

    /// The GPU `--device auto` takes: a discrete one, else an integrated one; never a CPU driver
    /// such as lavapipe. nil when there is none.
    public static func autoGPU(among devices: [VulkanDeviceInfo]) -> VulkanDeviceInfo? {
        let gpus = devices.filter { $0.kind == .discreteGPU || $0.kind == .integratedGPU }
        return gpus.first(where: { $0.kind == .discreteGPU }) ?? gpus.first
    }
}
