import Foundation
import Imaging
import VulkanRuntime

extension VulkanEngine {
    /// Applies the cached verdict for this device and engine shape, or checks the candidate fast paths now:
    /// all together first; when that fails, the per-layer kernels alone, then each path alone, then the
    /// ones that passed alone together. Keeps the largest set that passed; throws when even the per-layer
    /// kernels disagree with the fast CPU engine (the device cannot be trusted at all).
    func runSelfCheck(_ check: VulkanSelfCheck) throws {
        let candidates = candidateFastPaths
        let key = selfCheckKey(check, candidates: candidates)
        let cacheable = check.cache != nil && context.shaderSources == nil
        if !check.recheck, cacheable, let folder = check.cache,
           let cached = VulkanSelfCheckCache.load(key: key, in: folder) {
            try apply(cached, fromCache: true)
            return
        }
        let images = VulkanSelfCheck.images(size: model.config.inputSize)
        let tensor = Tensor(batch: images.count, height: model.config.inputSize, width: model.config.inputSize, channels: 3,
                            data: images.flatMap { ModelInput.preprocess($0, size: model.config.inputSize) })
        let expected = try FastCPUEngine(model: model, maxBatch: images.count).features(tensor)
        let tolerance = VulkanSelfCheck.tolerance(for: precision)
        var trials: [VulkanSelfCheckVerdict.Trial] = []
        func passes(_ paths: VulkanFastPaths) throws -> Bool {
            let error: Double
            do {
                try use(paths)
                error = relativeError(try features(images: images), expected)
            } catch where !paths.isEmpty {
                // A fast path that cannot even be built or run here (a driver refusing its pipeline, say) fails
                // its trial as a wrong one does; only the per-layer kernels' failure stops the engine.
                trials.append(.init(paths: paths.names, relativeError: .infinity, passed: false, error: "\(error)"))
                return false
            }
            let passed = error <= tolerance
            trials.append(.init(paths: paths.names, relativeError: error, passed: passed))
            return passed
        }
        var kept = candidates
        var baseline = true
        if try !passes(candidates) {
            baseline = candidates.isEmpty ? false : try passes([])
            kept = []
            if baseline && candidates.members.count > 1 {
                let alone = try candidates.members.filter { try passes($0) }
                let together = alone.reduce(VulkanFastPaths()) { $0.union($1) }
                if alone.count == 1 {
                    kept = together
                } else if alone.count > 1, try passes(together) {
                    kept = together
                }
            }
        }
        let verdict = VulkanSelfCheckVerdict(
            subject: cacheSubject(softwareVersion: check.softwareVersion),
            checked: candidates.names,
            passed: baseline ? kept.names : [], failed: candidates.subtracting(baseline ? kept : []).names,
            baselinePassed: baseline, tolerance: tolerance, trials: trials, images: images.count,
            checkedAt: ISO8601DateFormatter().string(from: Date()), fault: check.fault?.cacheKey)
        if cacheable, let folder = check.cache { VulkanSelfCheckCache.save(verdict, key: key, in: folder) }
        try apply(verdict, fromCache: false)
    }

    /// Runs with the verdict's passed paths; throws when it refused the device.
    private func apply(_ verdict: VulkanSelfCheckVerdict, fromCache: Bool) throws {
        recordVerdict(verdict, fromCache: fromCache)
        guard verdict.baselinePassed else { throw ModelError.deviceRefused(verdict.note ?? "fast-path self-check failed") }
        // A cached verdict names the paths of the build and device it was made on: keep only current ones.
        try use(candidateFastPaths.intersection(VulkanFastPaths(names: verdict.passed) ?? []))
    }

    /// Everything that can change the verdict: device, driver, imgfeat, model shape, precision, head mode,
    /// the paths under test, the test seam's fault, and which blocks run fused (with which launch) or in other
    /// kernel variants (a re-measured launch tuning may choose others).
    private func selfCheckKey(_ check: VulkanSelfCheck, candidates: VulkanFastPaths) -> String {
        // "verdict 2": verdicts whose device and model shape are one `subject` (older ones are simply not found).
        (["verdict 2"] + cacheKeyParts(softwareVersion: check.softwareVersion)
            + [candidates.names.joined(separator: ","), check.fault?.cacheKey ?? "",
               ] + [fusedBlockLaunches, pointwiseVariants, depthwiseVariants].map { choices in
                   choices.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
               }).joined(separator: "|")
    }

    /// What every cached per-device result is taken on and for (the self-check's verdicts, the launch tuning's
    /// records): the device, its driver and version, imgfeat's version, the model's shape, precision and head mode.
    func cacheSubject(softwareVersion: String) -> VulkanCacheSubject {
        VulkanCacheSubject(context.info, imgfeatVersion: softwareVersion, config: model.config, precision: precision,
                           headPool: headPoolMode)
    }

    /// The start of both cache keys: the subject's fields and the feature width.
    func cacheKeyParts(softwareVersion: String) -> [String] {
        cacheSubject(softwareVersion: softwareVersion).keyParts + ["\(model.featureDimension)"]
    }
}

/// max |got − expected| over max |expected|; infinity when `got` has a non-finite value or the shapes differ.
func relativeError(_ got: [Float], _ expected: [Float]) -> Double {
    guard got.count == expected.count, got.allSatisfy(\.isFinite) else { return .infinity }
    let scale = expected.reduce(Float(0)) { max($0, abs($1)) }
    let worst = zip(got, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
    return Double(worst) / Double(max(scale, 1e-30))
}
