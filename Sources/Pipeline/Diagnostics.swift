import Model
import VulkanRuntime

/// Human-readable facts about the machine's Vulkan devices, for `imgfeat devices`.
public enum Diagnostics {
    /// Which fast CPU kernel set runs and which ones this CPU could run, for `imgfeat devices` and `bench`.
    public static func cpuKernelsReport(chosen: FastCPUEngineKernels) -> String {
        let supported = FastCPUEngineKernels.supported.map(\.rawValue).joined(separator: ", ")
        return "fast CPU kernels: \(chosen) (this CPU runs \(supported); IMGFEAT_CPU_KERNELS chooses)"
    }

    public static func devicesReport() -> String {
        let devices: [DeviceInfo]
        do {
            devices = try VulkanContext.devices()
        } catch {
            return "no Vulkan loader or device: \(error)\n--device auto will use the fast CPU path; --device vulkan will fail."
        }
        var lines: [String] = []
        for device in devices {
            let memory = device.memoryHeaps.filter(\.deviceLocal).map(\.size).max() ?? 0
            lines.append("[\(device.index)] \(device.name) — \(device.kind.rawValue)")
            lines.append("    driver: \(device.driverName) \(device.driverInfo), Vulkan \(device.apiVersion)")
            lines.append("    memory: \(memory >> 20) MiB device-local; shared memory \(device.maxSharedMemoryBytes >> 10) KiB; max storage buffer \(device.maxStorageBufferRange >> 20) MiB")
            lines.append("    fp16 storage: \(device.supports16BitStorage ? "yes" : "no"), fp16 arithmetic: \(device.supportsFloat16Arithmetic ? "yes" : "no"); subgroup size \(device.subgroupSize) (\(device.subgroupOperations.joined(separator: ", ")))")
        }
        if let index = VulkanContext.preferredIndex(among: devices) {
            lines.append("--device vulkan uses [\(index)] \(devices[index].name) (choose another with --device-index N)")
        }
        switch EngineFactory.autoChoice() {
        case .gpu(let device): lines.append("--device auto uses [\(device.index)] \(device.name)")
        case .none(let why): lines.append("--device auto uses the fast CPU path: \(why)")
        }
        return lines.joined(separator: "\n")
    }
}
