import Foundation
import Model
import VulkanRuntime

/// The device stage: an engine, and whether it wants decoded pixels (it resizes on the device) or the
/// preprocessed tensor.
final class DeviceStage {
    let engine: FeatureEngine
    let takesPixels: Bool
    /// The choice `--device auto` made, and why, for the user.
    let choiceNote: String?

    init(engine: FeatureEngine, takesPixels: Bool, choiceNote: String? = nil) {
        self.engine = engine
        self.takesPixels = takesPixels
        self.choiceNote = choiceNote
    }

    var name: String { engine.name }

    func features(of batch: PreparedBatch) throws -> [Float] {
        let size = engine.model.config.inputSize
        let input = Tensor(batch: batch.items.count, height: size, width: size, channels: 3, data: batch.tensorData)
        do {
            return try engine.features(input)
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
            return DeviceStage(engine: ReferenceEngine(model: model), takesPixels: false)
        case .cpu:
            return DeviceStage(engine: FastCPUEngine(model: model, threads: threads, maxBatch: maxBatch), takesPixels: false)
        case .vulkan:
            throw PipelineError("--device vulkan: the Vulkan engine is not available in this build")
        case .auto:
            let note: String
            switch autoChoice() {
            case .gpu(let device):
                note = "found \(device.kind.rawValue) \(device.name), but the Vulkan engine is not available in this build; using the fast CPU path"
            case .none(let why):
                note = "\(why); using the fast CPU path"
            }
            return DeviceStage(engine: FastCPUEngine(model: model, threads: threads, maxBatch: maxBatch),
                               takesPixels: false, choiceNote: note)
        }
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
