import Foundation

/// Test-only seam (the CLI cannot set it): makes the Vulkan engine treat `paths` as fast paths it runs,
/// and perturbs its output whenever one of them is active, so tests can show that the self-check catches a
/// wrong kernel, falls back and says so. The perturbation adds `relativeError` × the batch's largest
/// |feature| to feature 0 of every image, on the engine's normal output path.
public struct VulkanFaultInjection: Sendable, Hashable {
    /// The fast paths pretended to run and be wrong.
    public var paths: VulkanFastPaths
    /// Size of the error, relative to the batch's largest |feature|.
    public var relativeError: Float

    public init(paths: VulkanFastPaths, relativeError: Float = 0.5) {
        self.paths = paths
        self.relativeError = relativeError
    }

    /// `features` (N × dimension) as the faulty kernel leaves them.
    func perturb(_ features: inout [Float], dimension: Int) {
        let scale = features.reduce(Float(0)) { max($0, abs($1)) }
        for row in stride(from: 0, to: features.count, by: dimension) {
            features[row] += relativeError * (scale > 0 ? scale : 1)
        }
    }

    /// Part of the verdict's cache key, so a test's verdicts never stand for a real one.
    var cacheKey: String { "fault \(paths.names.joined(separator: ",")) \(relativeError)" }
}
