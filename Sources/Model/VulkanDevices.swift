import VulkanRuntime

/// A Vulkan device as the engines see it: name, kind, memory, features (`imgfeat devices`).
public typealias VulkanDeviceInfo = DeviceInfo

/// How the engines open Vulkan: device index, validation layer, loader path, SPIR-V cache (the
/// runtime's `VulkanOptions`; the CLI fills it from the environment).
public typealias VulkanSetup = VulkanOptions

/// The Vulkan devices the engines can run on: the one way above Model to reach them.
public enum VulkanDevices {
    /// Every physical device (through `setup`'s loader); throws when there is no loader, driver or device.
    public static func list(_ setup: VulkanSetup = VulkanSetup()) throws -> [VulkanDeviceInfo] {
        try VulkanContext.devices(options: setup)
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
