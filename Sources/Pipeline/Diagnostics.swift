import Model

/// Human-readable facts about the machine's Vulkan devices, for `imgfeat devices`.
public enum Diagnostics {
    /// One paragraph per device, then what `--device vulkan` and `--device auto` would use; throws
    /// when there is no loader, driver or device.
    public static func devicesReport() throws -> String {
        let devices = try VulkanDevices.list()
        var lines: [String] = []
        for device in devices {
            let memory = device.memoryHeaps.filter(\.deviceLocal).map(\.size).max() ?? 0
            lines.append("[\(device.index)] \(device.name) — \(device.kind.rawValue)")
            lines.append("    driver: \(device.driverName) \(device.driverInfo), Vulkan \(device.apiVersion)")
            lines.append("    memory: \(memory >> 20) MiB device-local; shared memory \(device.maxSharedMemoryBytes >> 10) KiB; max storage buffer \(device.maxStorageBufferRange >> 20) MiB")
            lines.append("    fp16 storage: \(device.supports16BitStorage ? "yes" : "no"), fp16 arithmetic: \(device.supportsFloat16Arithmetic ? "yes" : "no"); subgroup size \(device.subgroupSize) (\(device.subgroupOperations.joined(separator: ", ")))")
        }
        if let index = VulkanDevices.preferredIndex(among: devices) {
            lines.append("--device vulkan uses [\(index)] \(devices[index].name) (choose another with --device-index N)")
        }
        switch EngineFactory.autoChoice(among: .success(devices)) {
        case .gpu(let device): lines.append("--device auto uses [\(device.index)] \(device.name)")
        case .none(let why): lines.append("--device auto uses the fast CPU path: \(why)")
        }
        return lines.joined(separator: "\n")
    }
}
