import Foundation

/// What the fast-path self-check found on one device, for one model shape, precision and head mode: the
/// cached record `imgfeat devices` reads back.
public struct VulkanSelfCheckVerdict: Codable, Sendable, Equatable {
    /// One run of the check batch with a set of fast paths on.
    public struct Trial: Codable, Sendable, Equatable {
        /// Fast paths on (empty: the per-layer float32 kernels alone).
        public var paths: [String]
        /// max |Vulkan − fast CPU| over max |fast CPU|; infinity when an output was not finite.
        public var relativeError: Double
        public var passed: Bool
        /// Why the trial could not run at all (its kernels could not be built or recorded); nil when it ran.
        public var error: String? = nil
    }

    /// The device, driver, imgfeat version and model shape it was checked on.
    public var subject: VulkanCacheSubject
    /// The fast paths the engine would use here, the ones under test.
    public var checked: [String]
    /// Of `checked`, the ones kept on.
    public var passed: [String]
    /// Of `checked`, the ones turned off.
    public var failed: [String]
    /// Whether the per-layer float32 kernels (no fast path) matched; false means the engine refuses the device.
    public var baselinePassed: Bool
    public var tolerance: Double
    public var trials: [Trial]
    public var images: Int
    /// When the check ran, ISO 8601 UTC.
    public var checkedAt: String
    /// Set on the test seam's verdicts only.
    public var fault: String?

    /// One line for stderr and the run summary when something was turned off or refused; nil when all passed.
    public var note: String? {
        let worst = trials.filter { !$0.passed && $0.error == nil }.map(\.relativeError).max()
        let error = worst.map { $0.isFinite ? String(format: "%.1e", $0) : "non-finite output" } ?? "?"
        let refused = trials.first { $0.error != nil }
        let limit = String(format: "%.0e", tolerance)
        let (device, driver, precision) = (subject.device, subject.driver, subject.precision)
        if !baselinePassed {
            return "fast-path self-check on \(device) (\(driver)): even the per-layer float32 kernels differ from the fast CPU engine "
                + "(relative error \(error), \(precision) tolerance \(limit)); the Vulkan engine refuses this device"
        }
        guard !failed.isEmpty else { return nil }
        let differed = "differed from the fast CPU engine (relative error \(error), \(precision) tolerance \(limit))"
        let cause: String
        switch (worst, refused) {
        case (nil, let trial?): cause = "could not run here (\(trial.error ?? ""))"
        case (_, let trial?): cause = differed + "; \(trial.paths.joined(separator: ", ")) could not run here (\(trial.error ?? ""))"
        default: cause = differed
        }
        return "fast-path self-check on \(device) (\(driver)): \(failed.joined(separator: ", ")) \(cause); using the per-layer float32 kernels for "
            + (failed.count == 1 ? "it" : "them") + (passed.isEmpty ? "" : ", keeping \(passed.joined(separator: ", "))")
    }
}
