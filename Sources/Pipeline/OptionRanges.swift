import Foundation

/// The documented range of every numeric option, checked in one place before any work starts, so a
/// value out of range is one clear line (`--batch must be 1…4096 (got 0)`), never a trap or a silent
/// change.
public enum OptionRanges {
    public static let batch = 1...4096
    public static let threads = 1...256
    public static let partRows = 1...100_000
    public static let size = 32...1024
    public static let alpha = 0.1...4.0
    public static let fetchConcurrency = 1...1024
    public static let maxErrors = 0...Int.max
    public static let deviceIndex = 0...255
    public static let benchLimit = 1...100_000
    public static let benchRepeats = 1...100
    /// Largest model input of one batch (batch × size² × 3 floats): several batches are in flight.
    public static let batchInputBytes = 1 << 30

    /// Throws `--NAME must be LOW…HIGH (got VALUE)` unless `value` lies in `range`.
    public static func check<T: Comparable>(_ name: String, _ value: T, _ range: ClosedRange<T>) throws {
        guard range.contains(value) else {
            throw PipelineError("--\(name) must be \(describe(range)) (got \(value))")
        }
    }

    static func describe<T: Comparable>(_ range: ClosedRange<T>) -> String {
        if let upper = range.upperBound as? Int, upper == Int.max { return "\(range.lowerBound) or more" }
        return "\(range.lowerBound)…\(range.upperBound)"
    }
}

extension RunOptions {
    /// Checks every option of a featurizing command against `OptionRanges`; `needsOutput` is false for
    /// `bench`, which writes nothing.
    public func validate(needsOutput: Bool = true) throws {
        guard !input.isEmpty else { throw PipelineError("INPUT must not be empty") }
        if needsOutput {
            guard !output.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw PipelineError("--output must not be empty")
            }
        }
        if let batch { try OptionRanges.check("batch", batch, OptionRanges.batch) }
        if let threads { try OptionRanges.check("threads", threads, OptionRanges.threads) }
        try OptionRanges.check("part-rows", partRows, OptionRanges.partRows)
        if let inputSize { try OptionRanges.check("size", inputSize, OptionRanges.size) }
        if let alpha {
            guard alpha.isFinite else { throw PipelineError("--alpha must be a number (got \(alpha))") }
            try OptionRanges.check("alpha", alpha, OptionRanges.alpha)
        }
        try OptionRanges.check("fetch-concurrency", storage.concurrency, OptionRanges.fetchConcurrency)
        if let maxErrors { try OptionRanges.check("max-errors", maxErrors, OptionRanges.maxErrors) }
        if let deviceIndex { try OptionRanges.check("device-index", deviceIndex, OptionRanges.deviceIndex) }
        let side = inputSize ?? 224
        let batch = self.batch ?? 1
        let bytes = batch * side * side * 3 * MemoryLayout<Float>.size
        guard bytes <= OptionRanges.batchInputBytes else {
            throw PipelineError("--batch \(batch) at --size \(side) is \(bytes >> 20) MiB of model input per batch, "
                                + "over the \(OptionRanges.batchInputBytes >> 20) MiB limit; lower --batch or --size")
        }
    }
}

extension PCAOptions {
    /// Checks `--k` against the feature width and, when known, the number of images: the PCA of n
    /// rows has at most n − 1 components with non-zero variance.
    public func validate(featureDimension: Int, images: Int? = nil) throws {
        guard k >= 1 else { throw PipelineError("--k must be 1 or more (got \(k))") }
        guard k <= featureDimension else {
            throw PipelineError("--k must be 1…\(featureDimension), the width of the features (got \(k))")
        }
        if let images, k > images - 1 {
            throw PipelineError("--k \(k) needs at least \(k + 1) images; the input has \(images)"
                                + (images >= 2 ? " (use --k \(images - 1) or less)" : ""))
        }
    }

    /// Checks `--k` against the images a run could featurize, once their features are committed: the error
    /// says how many were unusable, where they are listed, and that a rerun with a smaller `--k` only fits.
    public func validate(featurized: Int, unusable: Int, errorsFile: String) throws {
        guard k > featurized - 1 else { return }
        let kept = "\(featurized) of the \(featurized + unusable) images could be featurized (the unusable ones are listed in \(errorsFile))"
        guard featurized >= 2 else { throw PipelineError("no PCA: it needs at least 2 featurized images, and only \(kept)") }
        throw PipelineError("--k \(k) needs at least \(k + 1) featurized images, and only \(kept); the features are kept: "
                            + "the same command with --k \(featurized - 1) or less fits the PCA from them without reading an image again")
    }
}
