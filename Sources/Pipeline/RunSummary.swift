import Foundation
import PCA

/// The final account of a command, printed and saved as JSON in the output folder.
public struct RunSummary: Codable, Sendable {
    /// imgfeat's version (optional only so that summaries of older versions still read).
    public var version: String?
    /// The command line as typed (`imgfeat run ...`), as the CLI handed it down.
    public var commandLine: [String]?
    /// Start and end of this attempt, ISO 8601 UTC.
    public var startedAt: String?
    public var endedAt: String?
    public var command: String
    public var input: String
    public var output: String
    public var device: String
    public var deviceChoice: String?
    public var weights: String
    public var alpha: Double
    public var inputSize: Int
    public var shard: String
    public var listed: Int
    public var featurized: Int
    public var errors: Int
    public var errorsByStage: [String: Int]
    public var partsWritten: Int
    public var partsResumed: Int
    /// Where the PCA statistics of the rows featurized now were accumulated ("host" or a Vulkan device).
    public var pcaStatisticsOn: String?
    public var pcaK: Int?
    /// Where the PCA's eigen step ran ("host" or the Vulkan device's name) and with which solver
    /// (MODEL.json's `fitted_on` and `method`); a device fit's fallback to the host, in one line.
    public var pcaFittedOn: String?
    public var pcaMethod: String?
    public var pcaFitNote: String?
    public var pcaExplainedVarianceTotal: Double?
    public var secondsPerStage: StageTimes
    /// Inputs handled by this attempt (featurized or unusable); resumed parts' inputs are not among them.
    public var imagesProcessed: Int?
    /// Inputs of parts an earlier attempt had committed.
    public var imagesResumed: Int?
    /// `imagesProcessed` over this attempt's featurization time (0 when it processed nothing).
    public var imagesPerSecond: Double
    public var alreadyComplete: Bool = false
    /// Lines of an `@FILE` list that repeated an earlier one (kept once).
    public var duplicates: Int?
    /// Set when this command refitted the PCA of a finished run from its stored statistics.
    public var refitted: Bool?
    /// Whether JPEGs were decoded in draft mode (`--draft`); absent in summaries of earlier versions.
    public var draft: Bool?
    /// The Vulkan engine's fast paths and their self-check on this device (absent on the CPU engines).
    public var fastPaths: FastPathReport?
    /// Whether the device or the decode held the run back, from the time each waited for the other.
    public var feeding: Feeding?

    /// A few lines for the terminal.
    public var text: String {
        var lines: [String] = []
        if alreadyComplete { lines.append("\(output) is already complete; nothing to do") }
        if refitted == true {
            lines.append("refitted the PCA (k = \(pcaK ?? 0)) from the stored statistics; no image was read again")
        }
        lines.append("device: \(device)" + (deviceChoice.map { " (\($0))" } ?? ""))
        lines.append("images: \(listed) listed, \(featurized) featurized, \(errors) unusable"
                     + (errorsByStage.isEmpty ? "" : " (" + errorsByStage.sorted { $0.key < $1.key }
                         .map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"))
        if let duplicates, duplicates > 0 {
            lines.append("duplicates: \(duplicates) lines of the list repeated an earlier one; each image was kept once")
        }
        if let fastPaths {
            lines.append(fastPaths.line)
            if let note = fastPaths.note { lines.append("warning: \(note)") }
        }
        if let feeding { lines.append(feeding.line) }
        if let on = pcaStatisticsOn, on != "host" { lines.append("pca statistics: accumulated on \(on) during featurization") }
        if let on = pcaFittedOn, on != "host" {
            lines.append("pca fit: on \(on) (\(pcaMethod ?? "?"); component signs: largest-abs-entry-positive, not Spark's)")
        }
        if let note = pcaFitNote { lines.append("pca fit: \(note)") }
        if partsResumed > 0 { lines.append("resumed: \(partsResumed) parts already committed, \(partsWritten) written now") }
        let t = secondsPerStage
        var rate = String(format: "%.1f img/s", imagesPerSecond)
        if let processed = imagesProcessed {
            rate += " over \(processed) images processed now"
            if let resumed = imagesResumed, resumed > 0 { rate += " (\(resumed) resumed)" }
        }
        lines.append(String(format: "time: %.1f s total (list %.1f, decode %.1f, device %.1f, write %.1f, resume scan %.1f, pca %.1f); ",
                            t.total, t.listing, t.decode, t.device, t.write, t.resumeScan, t.pca) + rate)
        lines.append("output: \(output)")
        return lines.joined(separator: "\n")
    }
}

extension RunSummary {
    /// Records where and how `model` was fitted, and a device fit's fallback note.
    mutating func recordFit(_ model: PCAModel, note: String?) {
        pcaFittedOn = model.fittedOn
        pcaMethod = model.method.rawValue
        pcaFitNote = note
    }
}
