import Model

/// Human-readable facts about the machine's Vulkan devices, for `imgfeat devices`.
public enum Diagnostics {
    /// Which fast CPU kernel set runs and which ones this CPU could run, for `imgfeat devices` and `bench`.
    public static func cpuKernelsReport(chosen: FastCPUEngineKernels) -> String {
        let supported = FastCPUEngineKernels.supported.map(\.rawValue).joined(separator: ", ")
        return "fast CPU kernels: \(chosen) (this CPU runs \(supported); IMGFEAT_CPU_KERNELS chooses)"
    }

    /// One paragraph per device, then what `--device vulkan` and `--device auto` would use; throws
    /// when there is no loader, driver or device.
    public static func devicesReport(_ setup: VulkanSetup) throws -> String {
        let devices = try VulkanDevices.list(setup)
        // Each device's own one-line-per-property summary: the one place devices are formatted.
        var lines = devices.map(\.summary)
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

extension Diagnostics {
    /// Checks the cooperative-matrix kernel on the device `setup` opens against the plain reference, one
    /// line per case through `emit`; true when every case passed or the device has no cooperative matrix
    /// (then one "skipped: no cooperative matrix" line says why).
    public static func coopmatCheck(_ setup: VulkanSetup, emit: (String) -> Void) throws -> Bool {
        var passed = 0, failed = 0
        let (device, skipped) = try CoopMatGEMM.checkDevice(setup) { result in
            if result.passed { passed += 1 } else { failed += 1 }
            emit("coopmat check: \(result.line)")
        }
        if let skipped {
            emit("coopmat check on \(device): skipped: no cooperative matrix (\(skipped))")
            return true
        }
        emit("coopmat check on \(device): \(failed == 0 ? "passed" : "FAILED"), \(passed) of \(passed + failed) cases within tolerance")
        return failed == 0
    }
}
