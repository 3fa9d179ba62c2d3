import Foundation
import Model
import VulkanRuntime

/// The device stage: an engine, and whether it wants decoded pixels (it resizes on the device) or the
/// preprocessed tensor.
final class DeviceStage {
    let engine: FeatureEngine
    /// Set when the engine resizes on the device: it is given decoded pixels, not the tensor.
    let vulkan: VulkanEngine?
    var takesPixels: Bool { vulkan != nil }
    /// The choice `--device auto` made, and why, for the user.
    let choiceNote: String?

    init(engine: FeatureEngine, choiceNote: String? = nil) {
        self.engine = engine
        self.vulkan = engine as? VulkanEngine
        self.choiceNote = choiceNote
    }

    var name: String { engine.name }

    func features(of batch: PreparedBatch) throws -> [Float] {
        let size = engine.model.config.inputSize
        do {
            if let vulkan { return try vulkan.features(images: batch.images) }
            return try engine.features(Tensor(batch: batch.items.count, height: size, width: size, channels: 3,
                                              data: batch.tensorData))
        } catch {
            throw PipelineError("\(engine.name) engine failed on a batch starting at \(batch.items.first?.path ?? "?"): \(error)")
        }
    }
}

/// Builds the engine that `--device` asks for.
enum EngineFactory {
    static func make(options: RunOptions, model: FoldedMobileNetV2) throws -> DeviceStage {
        let threads = options.resolvedThreads
        let maxBatch = max(1, options.batch)
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
            switch autoChoice() {
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
        let precision: VulkanPrecision = options.precision == .fp16 ? .fp16 : .fp32
        return try VulkanEngine(model: model, options: VulkanOptions(deviceIndex: deviceIndex), precision: precision,
                                batchSize: max(1, options.batch))
    }

    enum AutoChoice {
        case gpu(DeviceInfo)
        case none(String)
    }

    /// `--device auto` takes a discrete or integrated GPU, never a CPU driver such as lavapipe.
    static func autoChoice() -> AutoChoice {
        let devices: [DeviceInfo]
        do {
            devices = try VulkanContext.devices()
        } catch {
            return .none("no Vulkan device (\(error))")
        }
        let gpus = devices.filter { $0.kind == .discreteGPU || $0.kind == .integratedGPU }
        guard let best = gpus.first(where: { $0.kind == .discreteGPU }) ?? gpus.first else {
            return .none("no Vulkan GPU (only \(devices.map(\.name).joined(separator: ", ")))")
        }
        return .gpu(best)
    }
}
