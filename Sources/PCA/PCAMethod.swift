/// Which solver fitted a PCA model; MODEL.json records it as `method` by `rawValue`.
public enum PCAMethod: String, Sendable, Equatable, CaseIterable {
    /// LAPACK dgesdd of the covariance on the host, as Spark ML: Spark's values and signs.
    case lapackDgesdd = "lapack-dgesdd"
    /// Block subspace iteration with its products on a Vulkan device (`pca_subspace.comp`).
    case vulkanSubspaceIteration = "vulkan-subspace-iteration"
    /// The same iteration with its products on the host (the device path's reference face).
    case hostSubspaceIteration = "host-subspace-iteration"

    /// The sign rule this solver's components follow.
    public var signRule: PCASignRule {
        self == .lapackDgesdd ? .sparkDgesdd : .largestAbsEntryPositive
    }
}
