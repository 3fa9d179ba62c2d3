import Foundation
import Model

/// Builds the engine that `--device` asks for.
enum EngineFactory {
    static func make(options: RunOptions, model: FoldedMobileNetV2) throws -> DeviceStage {
        let threads = options.resolvedThreads
        let maxBatch = max(1, options.batch ?? 64)
        switch options.device {
        case .reference:
            return DeviceStage(engine: ReferenceEngine(model: model))
        case .cpu:
            return DeviceStage(engine: FastCPUEngine(model: model, threads: threads, maxBatch: maxBatch, kernels: options.cpuKernels))
        case .vulkan:
            do {
                return DeviceStage(engine: try vulkanEngine(options: options, model: model, deviceIndex: options.deviceIndex))
            } catch {
                throw PipelineError("--device vulkan: \(error)")
            }
        case .auto:
            let note: String
            switch autoChoice(among: Result { try VulkanDevices.list(options.vulkan) }) {
            case .gpu(let device):
                do {
                    let engine = try vulkanEngine(options: options, model: model, deviceIndex: options.deviceIndex ?? device.index)
                    return DeviceStage(engine: engine, choiceNote: "auto: \(device.kind.rawValue) \(device.name) through Vulkan")
                } catch {
                    note = "auto: \(device.name) could not be used (\(error)); using the fast CPU path"
                }
            case .none(let why):
                note = "auto: \(why); using the fast CPU path"
            }
            return DeviceStage(engine: FastCPUEngine(model: model, threads: threads, maxBatch: maxBatch, kernels: options.cpuKernels), choiceNote: note)
        }
    }

    private static func vulkanEngine(options: RunOptions, model: FoldedMobileNetV2, deviceIndex: Int?) throws -> VulkanEngine {
        var setup = options.vulkan
        setup.deviceIndex = deviceIndex
        return try VulkanEngine(model: model, options: setup, precision: options.precision,
                                batchSize: options.batch.map { max(1, $0) }, headPool: options.headPool,
                                fastPaths: options.vulkanFastPaths, fusedBlocks: options.fusedBlocks,
                                selfCheck: selfCheck(options), launchTuning: launchTuning(options),
                                reduction: options.reduction.forced)
    }

    /// Where the Vulkan engine's measured launch choices are cached: `launches/` in the self-check's folder.
    static func launchTuning(_ options: RunOptions) -> VulkanLaunchTuning {
        VulkanLaunchTuning(cache: launchTuningCache(options.fastPathCache), softwareVersion: ImgfeatVersion.current)
    }

    /// The launch-tuning folder beside the self-check verdicts in `fastPathCache`.
    static func launchTuningCache(_ fastPathCache: URL?) -> URL? { fastPathCache?.appendingPathComponent("launches") }

    /// The fast-path self-check every Vulkan engine of a command runs (or reads from the cache).
    static func selfCheck(_ options: RunOptions, recheck: Bool = false) -> VulkanSelfCheck {
        VulkanSelfCheck(cache: options.fastPathCache, softwareVersion: ImgfeatVersion.current, recheck: recheck,
                        fault: options.vulkanFault)
    }

    enum AutoChoice {
        case gpu(VulkanDeviceInfo)
        case none(String)
    }

    /// `--device auto` takes a discrete or integrated GPU, never a CPU driver such as lavapipe.
    static func autoChoice(among listing: Result<[VulkanDeviceInfo], Error>) -> AutoChoice {
        let devices: [VulkanDeviceInfo]
        switch listing {
        case .success(let found): devices = found
        case .failure(let error): return .none("no Vulkan device (\(error))")
        }
        guard let best = VulkanDevices.autoGPU(among: devices) else {
            return .none("no Vulkan GPU (only \(devices.map(\.name).joined(separator: ", ")))")
        }
        return .gpu(best)
    }
}
