import VulkanRuntime

/// Device work over a batch of features still in a Vulkan engine's buffer (PCA statistics, say).
public typealias DeviceFeatureConsumer = BufferRowsConsumer

/// Sees every batch of features an engine computes, in order: the one way out of an engine besides
/// its return value (docs/ARCHITECTURE.md, "The path of one batch").
public protocol FeatureBatchObserver: AnyObject {
    /// The features of `rows` images, row-major, on the host.
    func observe(_ features: [Float], rows: Int) throws
    /// Work a Vulkan engine on this consumer's context runs on its device instead of calling `observe`;
    /// nil (the default) observes on the host everywhere.
    var deviceConsumer: (any DeviceFeatureConsumer)? { get }
}

extension FeatureBatchObserver {
    public var deviceConsumer: (any DeviceFeatureConsumer)? { nil }
}
