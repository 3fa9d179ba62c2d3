import VulkanRuntime

/// Something that turns images into MobileNetV2 feature vectors.
public protocol FeatureEngine: AnyObject {
    /// "reference", "cpu", or "vulkan: <device name>".
    var name: String { get }
    /// The model whose features this engine computes.
    var model: FoldedMobileNetV2 { get }
    /// What `features(_:observer:)` takes: the preprocessed tensor (the default) or decoded pixels.
    var inputKind: EngineInputKind { get }
    /// The Vulkan context the engine runs on, if any (for device-side observers); nil by default.
    var vulkanContext: VulkanContext? { get }
    /// Input N×S×S×3 preprocessed (values in [-1, 1]); output N×featureDimension, row-major.
    func features(_ input: Tensor) throws -> [Float]
    /// Features of `batch` (of the kind `inputKind` names), N×featureDimension row-major; `observer`
    /// sees them before they are returned.
    func features(_ batch: EngineBatch, observer: (any FeatureBatchObserver)?) throws -> [Float]
    /// Starts `batch` and returns the batches finished so far, in submission order: an engine with work
    /// in flight (Vulkan) may return earlier batches, or none; `observer` sees each before it is returned.
    func submit(_ batch: EngineBatch, tag: Int, observer: (any FeatureBatchObserver)?) throws -> [EngineCompletion]
    /// Waits for every batch in flight and returns them in submission order.
    func flush() throws -> [EngineCompletion]
}

extension FeatureEngine {
    public var inputKind: EngineInputKind { .tensor }
    public var vulkanContext: VulkanContext? { nil }

    /// Tensor engines: `features(_:)`, then the observer on the host.
    public func features(_ batch: EngineBatch, observer: (any FeatureBatchObserver)?) throws -> [Float] {
        guard case .tensor(let input) = batch else {
            throw ModelError.badInput("\(name) engine takes the preprocessed tensor, not decoded pixels")
        }
        let features = try features(input)
        try observer?.observe(features, rows: input.batch)
        return features
    }

    /// Synchronous engines: the batch's features at once.
    public func submit(_ batch: EngineBatch, tag: Int, observer: (any FeatureBatchObserver)?) throws -> [EngineCompletion] {
        [EngineCompletion(tag: tag, features: try features(batch, observer: observer))]
    }

    public func flush() throws -> [EngineCompletion] { [] }

    /// Throws unless `input` is N×S×S×3 for the model's input size S.
    public func checkInput(_ input: Tensor) throws {
        let size = model.config.inputSize
        guard input.height == size, input.width == size, input.channels == 3 else {
            throw ModelError.badInput(
                "\(name) engine expects N×\(size)×\(size)×3, got \(input.batch)×\(input.height)×\(input.width)×\(input.channels)")
        }
    }
}
