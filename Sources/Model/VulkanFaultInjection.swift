import Foundation
import VulkanRuntime

/// Test-only seam (the CLI cannot set it): makes the Vulkan engine treat `paths` as fast paths it runs,
/// and perturbs its output whenever one of `faulty` is active (or always, with `everywhere`), so tests can
/// show that the self-check catches a wrong kernel, bisects, falls back and says so. The perturbation adds
/// `relativeError` × the batch's largest |feature| to feature 0 of every image, on the engine's normal
/// output path.
public struct VulkanFaultInjection: Sendable, Hashable {
    /// The fast paths pretended to run.
    public var paths: VulkanFastPaths
    /// Those of `paths` that are wrong.
    public var faulty: VulkanFastPaths
    /// Wrong even with no fast path on: the per-layer kernels themselves (a device to refuse).
    public var everywhere: Bool
    /// Size of the error, relative to the batch's largest |feature|.
    public var relativeError: Float
    /// Those of `paths` that cannot run at all: recording a batch with one on throws, as a driver that
    /// refuses a pipeline would.
    public var failing: VulkanFastPaths

    public init(paths: VulkanFastPaths, faulty: VulkanFastPaths? = nil, everywhere: Bool = false, relativeError: Float = 0.5,
                failing: VulkanFastPaths = []) {
        self.paths = paths
        self.faulty = faulty ?? paths
        self.everywhere = everywhere
        self.relativeError = relativeError
        self.failing = failing
    }

    /// Throws, as a pipeline the driver refuses, when one of `failing` is in `active`.
    func check(_ active: VulkanFastPaths) throws {
        let refused = active.intersection(failing)
        guard refused.isEmpty else {
            throw VulkanError(call: "vkCreateComputePipelines", message: "injected fault: \(refused.names.joined(separator: ", ")) refused")
        }
    }

    /// Whether output computed with `active` on is perturbed.
    func corrupts(_ active: VulkanFastPaths) -> Bool {
        everywhere || !active.intersection(faulty).isEmpty
    }

    /// `features` (N × dimension) as the faulty kernel leaves them.
    func perturb(_ features: inout [Float], dimension: Int) {
        let scale = features.reduce(Float(0)) { max($0, abs($1)) }
        for row in stride(from: 0, to: features.count, by: dimension) {
            features[row] += relativeError * (scale > 0 ? scale : 1)
        }
    }

    /// Part of the verdict's cache key, so a test's verdicts never stand for a real one.
    var cacheKey: String {
        "fault \(paths.names.joined(separator: ",")) wrong \(faulty.names.joined(separator: ","))\(everywhere ? " everywhere" : "") \(relativeError)"
            + (failing.isEmpty ? "" : " failing \(failing.names.joined(separator: ","))")
    }
}
