import Foundation

/// How the Vulkan engine measures its launch choices on the device it runs on (docs/VULKAN.md, "Measured
/// launch choices"): each inverted-residual block timed fused (with its first and its second launch), as its
/// per-layer sequence with the default kernels, and per-layer with other GEMM variants and depthwise column
/// counts, with GPU timestamps, at the engine's batch, on seeded inputs, one warm-up round and `rounds` timed
/// ones; a block leaves the per-layer default only for a way whose median beats the default's by more than
/// `margin` (`blockChoice`). The decisions are
/// cached in `cache`, so the timing runs once per device, driver, imgfeat, model shape, precision and batch.
public struct VulkanLaunchTuning: Sendable {
    /// Folder of cached decisions (the CLI: `${XDG_CACHE_HOME:-~/.cache}/imgfeat/fastpaths/launches`, beside
    /// the self-check's verdicts); nil measures every time and keeps nothing.
    public var cache: URL?
    /// imgfeat's version: a new build measures again (its kernels may have changed).
    public var softwareVersion: String
    /// Timed rounds after the warm-up; the median of each block's times decides. At least 3.
    public var rounds: Int
    /// How much faster than the per-layer default a fused launch or another kernel variant must be to be
    /// chosen (0.05: 5 %); the default kernels are the better-tested path, so a near tie keeps them.
    public var margin: Double

    public static let defaultMargin = 0.05
    public static let defaultRounds = 3

    public init(cache: URL?, softwareVersion: String, rounds: Int = defaultRounds, margin: Double = defaultMargin) {
        self.cache = cache
        self.softwareVersion = softwareVersion
        self.rounds = max(3, rounds)
        self.margin = margin
    }

    /// The median of `values` (the mean of the middle two for an even count); nil when empty.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Whether a block runs fused, from its median GPU milliseconds fused (nil: the block cannot fuse on
    /// this device) and layer by layer: only when both were measured (finite, positive) and fused is faster
    /// by more than `margin` of the per-layer time. Ties and anything unmeasured keep the per-layer kernels.
    public static func fuses(fusedMilliseconds: Double?, layeredMilliseconds: Double?, margin: Double) -> Bool {
        guard let fused = fusedMilliseconds, let layered = layeredMilliseconds,
              fused.isFinite, layered.isFinite, fused > 0, layered > 0, margin.isFinite else { return false }
        return fused < layered * (1 - max(0, margin))
    }

    /// A block's choice from its timing samples: the index in `options` (each nil or empty where that way
    /// cannot run the block) of the one with the smallest median that beats the per-layer default's median
    /// by more than `margin` (`fuses`), nil where none does and the default stays. Ties keep the earlier option.
    public static func choice(layered: [Double], options: [[Double]?], margin: Double) -> Int? {
        let layeredMedian = median(layered)
        var best: (index: Int, median: Double)?
        for (index, samples) in options.enumerated() {
            guard let value = samples.flatMap(median),
                  fuses(fusedMilliseconds: value, layeredMilliseconds: layeredMedian, margin: margin) else { continue }
            if best == nil || value < best!.median { best = (index, value) }
        }
        return best?.index
    }

    /// One block's decision: fused with `fused` launch `fused` (0 first, 1 second), or per-layer with GEMM
    /// variant `gemm` and depthwise column count `depthwise` (indices into the options; nil: the default).
    public struct BlockChoice: Sendable, Equatable {
        public var fused: Int?, gemm: Int?, depthwise: Int?
        public init(fused: Int? = nil, gemm: Int? = nil, depthwise: Int? = nil) {
            self.fused = fused
            self.gemm = gemm
            self.depthwise = depthwise
        }
    }

    /// A block's decision from its samples: per-layer default (`layered`, of which `layeredDepthwise` is the
    /// depthwise stage, the rest the 1×1 GEMMs), the fused launches (nil where the block has none), and the
    /// GEMM part of each alternative GEMM variant and the depthwise part of each alternative column count.
    /// Each part takes its fastest option beating the default part by more than `margin` (`choice`); the
    /// block runs fused only where a fused launch beats the per-layer default by the margin (`choice`) and
    /// is faster than the per-layer estimate too (the chosen parts' medians added); ties keep per-layer.
    public static func blockChoice(layered: [Double], layeredDepthwise: [Double], fused: [[Double]?],
                                   gemm: [[Double]], depthwise: [[Double]], margin: Double) -> BlockChoice {
        let layeredGEMM = zip(layered, layeredDepthwise).map { $0 - $1 }
        let g = gemm.isEmpty ? nil : choice(layered: layeredGEMM, options: gemm, margin: margin)
        let d = depthwise.isEmpty ? nil : choice(layered: layeredDepthwise, options: depthwise, margin: margin)
        var perLayer = median(layered)
        if g != nil || d != nil, let gm = median(g.map { gemm[$0] } ?? layeredGEMM), let dm = median(d.map { depthwise[$0] } ?? layeredDepthwise) {
            perLayer = gm + dm
        }
        if let f = choice(layered: layered, options: fused, margin: margin), let fm = fused[f].flatMap(median),
           perLayer.map({ fm < $0 }) ?? true {
            return BlockChoice(fused: f)
        }
        return BlockChoice(gemm: g, depthwise: d)
    }
}
