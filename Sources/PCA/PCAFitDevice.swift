import VulkanRuntime

/// Where a PCA fit's eigen step runs (`imgfeat pca fit --device`, `imgfeat run --device vulkan`).
public enum PCAFitDevice: Sendable {
    /// LAPACK dgesdd on the host: Spark's values and signs.
    case host
    /// The block subspace iteration on the Vulkan device that `options` opens, LAPACK on the host when
    /// the iteration cannot certify its result.
    case vulkan(VulkanOptions)
}

extension PCAModel {
    /// Fits on `device`. A Vulkan fit that cannot certify every component (`notConverged`: repeated or
    /// nearly repeated eigenvalues, a stall) or whose result fails the host's check
    /// (`deviceResultRejected`) is redone with LAPACK on the host and `note` says so in one
    /// line; a device that cannot be opened or fails is an error, as for the network.
    public static func fit(_ statistics: PCAStatistics, k: Int, center: Bool = false,
                           on device: PCAFitDevice) throws -> (model: PCAModel, note: String?) {
        switch device {
        case .host:
            return (try fit(statistics, k: k, center: center), nil)
        case .vulkan(let options):
            let context = try VulkanContext(options: options)
            do {
                return (try fit(statistics, k: k, center: center, context: context), nil)
            } catch let error as PCAError {
                switch error {
                case .notConverged, .deviceResultRejected: break
                default: throw error
                }
                let model = try fit(statistics, k: k, center: center)
                return (model, "\(error); fitted on the host with LAPACK instead (Spark's signs)")
            }
        }
    }
}
