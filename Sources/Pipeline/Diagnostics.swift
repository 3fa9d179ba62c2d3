import Foundation
import Model
import PCA

/// Human-readable facts about the machine's Vulkan devices, for `imgfeat devices`.
public enum Diagnostics {
    /// Which fast CPU kernel set runs and which ones this CPU could run, for `imgfeat devices` and `bench`.
    public static func cpuKernelsReport(chosen: FastCPUEngineKernels) -> String {
        let supported = FastCPUEngineKernels.supported.map(\.rawValue).joined(separator: ", ")
        return "fast CPU kernels: \(chosen) (this CPU runs \(supported); IMGFEAT_CPU_KERNELS chooses)"
    }

    /// Which kernels OpenBLAS took for the PCA, with a hint where it missed this CPU's AVX2 or AVX-512.
    public static func blasReport() -> String {
        let sets = FastCPUEngineKernels.supported
        return BLASCore.report(cpuHasAVX2: sets.contains(.avx2), cpuHasAVX512: sets.contains(.avx512))
    }

    /// One paragraph per device (with its fast paths and the self-check verdicts cached in `fastPathCache`),
    /// then what `--device vulkan` and `--device auto` would use; throws when there is no loader, driver or device.
    public static func devicesReport(_ setup: VulkanSetup, fastPathCache: URL? = nil) throws -> String {
        let devices = try VulkanDevices.list(setup)
        let verdicts = fastPathCache.map { VulkanSelfCheckCache.all(in: $0) } ?? []
        let tunings = EngineFactory.launchTuningCache(fastPathCache).map { VulkanLaunchTuningCache.all(in: $0) } ?? []
        // Each device's own one-line-per-property summary: the one place devices are formatted.
        var lines = devices.flatMap { [$0.summary] + fastPathLines($0, verdicts: verdicts) + launchTuningLines($0, records: tunings) }
        if let index = VulkanDevices.preferredIndex(among: devices) {
            lines.append("--device vulkan uses [\(index)] \(devices[index].name) (choose another with --device-index N)")
        }
        switch EngineFactory.autoChoice(among: .success(devices)) {
        case .gpu(let device): lines.append("--device auto uses [\(device.index)] \(device.name)")
        case .none(let why): lines.append("--device auto uses the fast CPU path: \(why)")
        }
        return lines.joined(separator: "\n")
    }

    /// Which fast paths `device` supports at each precision, and the cached verdicts: which were checked, passed, failed.
    static func fastPathLines(_ device: VulkanDeviceInfo, verdicts: [VulkanSelfCheckVerdict]) -> [String] {
        func names(_ paths: VulkanFastPaths) -> String { paths.isEmpty ? "none" : paths.names.joined(separator: ", ") }
        let fp32 = names(VulkanFastPaths.supported(by: device, precision: .fp32))
        let fp16 = names(VulkanFastPaths.supported(by: device, precision: .fp16))
        var lines = ["    fast paths the device supports: fp32 \(fp32); fp16 \(fp16) (each self-check line names those checked)"]
        let reduction: String
        switch (KernelReduction.choose(device), KernelReduction.available(device)) {
        case (.subgroup, _): reduction = "subgroup (subgroupAdd)"
        case (_, true): reduction = "shared memory (the CPU-driver profile; the subgroup variants are available)"
        case (_, false): reduction = "shared memory (no subgroup basic + arithmetic in compute shaders)"
        }
        lines.append("    head pool and pool reductions: \(reduction)")
        let mine = verdicts.filter { $0.subject.isOn(device) && $0.fault == nil }
        if mine.isEmpty { lines.append("    self-check: none cached yet (imgfeat devices --check runs it)") }
        for verdict in mine {
            let worst = verdict.trials.map(\.relativeError).max() ?? 0
            let result: String
            if !verdict.baselinePassed {
                result = "REFUSED (the per-layer kernels disagree with the fast CPU engine)"
            } else if verdict.checked.isEmpty {
                result = "passed with the per-layer kernels (no fast path to check)"
            } else {
                result = "checked \(verdict.checked.joined(separator: ", ")); passed: \(verdict.passed.isEmpty ? "none" : verdict.passed.joined(separator: ", "))"
                    + (verdict.failed.isEmpty ? "" : "; failed, turned off: \(verdict.failed.joined(separator: ", "))")
            }
            lines.append("    self-check, \(verdict.subject.shape): "
                         + result + String(format: " (largest relative error %.1e, tolerance %.0e; imgfeat %@, %@)",
                                           worst, verdict.tolerance, verdict.subject.imgfeatVersion, verdict.checkedAt))
        }
        return lines
    }

    /// The measured fused-block choices cached for `device`, one line per model shape, precision and batch.
    static func launchTuningLines(_ device: VulkanDeviceInfo, records: [VulkanLaunchTuningRecord]) -> [String] {
        let mine = records.filter { $0.subject.isOn(device) }
        guard !mine.isEmpty else {
            return ["    fused blocks: none measured yet (" + (device.kind == .cpu ? "per-layer on CPU drivers; IMGFEAT_VULKAN_FUSED_BLOCKS=measure measures"
                                                                 : "measured on the first run of each model shape and batch") + ")"]
        }
        return mine.map { record in
            let fused = record.blocks.filter(\.fused).map(\.name)
            let variants = record.blocks.filter { $0.pointwise != nil || $0.depthwise != nil }.map { "\($0.name) \($0.choice)" }
            return "    \(record.line), \(record.subject.shape) batch \(record.batch)"
                + (record.otherFastPaths.isEmpty ? "" : " with \(record.otherFastPaths.joined(separator: ", "))")
                + " (imgfeat \(record.subject.imgfeatVersion); fused: \(fused.isEmpty ? "none" : fused.joined(separator: ", "))"
                + (variants.isEmpty ? "" : "; other kernel variants: " + variants.joined(separator: ", ")) + ")"
        }
    }

    /// Runs the self-check now on device `index` (nil: the one `--device vulkan` takes) at each precision the
    /// device stores, with seeded random weights of the given shape, replacing the cached verdicts.
    public static func checkFastPaths(_ options: RunOptions, index: Int?, alpha: Double, size: Int) throws {
        var setup = options.vulkan
        setup.deviceIndex = index
        let config = MobileNetV2Config(alpha: alpha, inputSize: size)
        try config.validate()
        let model = FoldedMobileNetV2.random(config: config, seed: 0)
        let devices = try VulkanDevices.list(setup)
        guard let chosen = index ?? VulkanDevices.preferredIndex(among: devices), devices.indices.contains(chosen) else {
            throw PipelineError("--device-index \(index ?? -1): there are \(devices.count) Vulkan devices")
        }
        for precision in Precision.allCases where precision == .fp32 || devices[chosen].supports16BitStorage {
            do {
                _ = try VulkanEngine(model: model, options: setup, precision: precision, batchSize: VulkanSelfCheck.imageCount,
                                     headPool: options.headPool, selfCheck: EngineFactory.selfCheck(options, recheck: true))
            } catch let error as ModelError {
                // A refused device is a verdict (cached, shown by the listing), not a failure of the command.
                FileHandle.standardError.write(Data("imgfeat: warning: \(precision.rawValue): \(error)\n".utf8))
            }
        }
    }
}

extension Diagnostics {
    /// Checks the subgroup reductions (`KernelReduction.checkDevice`) and the cooperative-matrix kernel on the
    /// device `setup` opens against the plain references, one line per case through `emit`; true when every
    /// case passed (a device without subgroup arithmetic or cooperative matrices skips that part, with one
    /// "skipped: …" line saying why).
    public static func coopmatCheck(_ setup: VulkanSetup, emit: (String) -> Void) throws -> Bool {
        var passed = 0, failed = 0
        // The subgroup reductions first (their lines say "subgroup check"); the last line stays coopmat's summary.
        let subgroups = try KernelReduction.checkDevice(setup) { result in
            if result.passed { passed += 1 } else { failed += 1 }
            emit("subgroup check: \(result.line)")
        }
        if let why = subgroups.skipped {
            emit("subgroup check on \(subgroups.device): skipped: no subgroup arithmetic (\(why)); the shared-memory variants run")
        } else {
            emit("subgroup check on \(subgroups.device), subgroup size \(subgroups.subgroupSize): \(failed == 0 ? "passed" : "FAILED"), \(passed) of \(passed + failed) cases within tolerance")
        }
        let subgroupsPassed = failed == 0
        passed = 0
        failed = 0
        let (device, skipped) = try CoopMatGEMM.checkDevice(setup) { result in
            if result.passed { passed += 1 } else { failed += 1 }
            emit("coopmat check: \(result.line)")
        }
        if let skipped {
            emit("coopmat check on \(device): skipped: no cooperative matrix (\(skipped))")
            return subgroupsPassed
        }
        emit("coopmat check on \(device): \(failed == 0 ? "passed" : "FAILED"), \(passed) of \(passed + failed) cases within tolerance")
        return failed == 0 && subgroupsPassed
    }
}
