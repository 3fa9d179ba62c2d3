import Model
import PCA

/// Gathers the PCA statistics of every feature batch as it leaves the engine: on the engine's Vulkan
/// device while the features are still there (`pca_syrk.comp`), else on the host.
final class StatisticsObserver: FeatureBatchObserver {
    private var host: PCAStatistics
    private let device: PCAStatistics.Vulkan?
    /// Where the statistics are gathered: "host" or the Vulkan device's name.
    let gatheredOn: String

    init(dimension: Int, engine: FeatureEngine) throws {
        host = try PCAStatistics(dimension: dimension)
        device = try engine.vulkanContext.map { try PCAStatistics.Vulkan(context: $0, dimension: dimension) }
        gatheredOn = engine.vulkanContext.map { $0.info.name } ?? "host"
    }

    func observe(_ features: [Float], rows: Int) throws {
        try host.add(rows: features, count: rows)
    }

    var deviceConsumer: (any DeviceFeatureConsumer)? { device }

    /// Everything observed, host and device batches together.
    func statistics() throws -> PCAStatistics {
        var all = host
        if let device { try all.merge(try device.statistics()) }
        return all
    }
}
