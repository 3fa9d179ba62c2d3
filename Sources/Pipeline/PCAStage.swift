import Foundation
import Model
import PCA
import Parquet

/// Fits the PCA from gathered statistics, projects every feature row, and writes the model, the
/// projected table and the plots. Each file appears under its final name only once complete.
struct PCAStage {
    var options: PCAOptions
    var quiet: Bool
    /// Where the eigen step runs.
    var device: PCAFitDevice = .host

    /// Fits and saves the model, recording the features' model; prints the explained variance as the
    /// notebook does. A device fit that fell back to the host says why on stderr (always: it changes
    /// the signs the user asked for) and in the returned note.
    func fit(_ statistics: PCAStatistics, modelURL: URL, features: FeatureModel?) throws -> (model: PCAModel, note: String?) {
        var (model, note): (PCAModel, String?)
        do {
            (model, note) = try PCAModel.fit(statistics, k: options.k, center: options.center, on: device)
        } catch let error as PCAError {
            throw error
        } catch {
            throw PipelineError("--device vulkan: the PCA fit could not use the device (\(error))")
        }
        if let note { FileHandle.standardError.write(Data("imgfeat: \(note)\n".utf8)) }
        model.featureModel = features?.fields ?? [:]
        try model.save(to: modelURL)
        if !quiet { print(PCAReport.explainedVarianceText(model.explainedVariance)) }
        return (model, note)
    }

    /// Projects the feature table into `directory` (replaced whole: written beside it, then renamed).
    /// Returns the number of rows written.
    @discardableResult
    func transform(features: FeatureTable, model: PCAModel, directory: URL, metadata: [String: String],
                   plots: (scree: URL, scatter: URL)?, input: String) throws -> Int {
        let parent = directory.deletingLastPathComponent()
        try createDirectory(parent)
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).\(UUID().uuidString).tmp")
        // Whatever fails from here, the staging folder goes (a disk-full run left it behind before).
        var placed = false
        defer { if !placed { try? FileManager.default.removeItem(at: staging) } }
        let output = try PartitionedOutput(directory: staging, schema: .pca, compression: .snappy,
                                           metadata: OutputMetadata.pca(model, features: metadata))
        var rows = 0
        var scatter = ScatterSample(limit: 20_000)
        var partIndex = 0
        var pending = PCARows(paths: [], labels: [], values: [], dimension: model.k)
        // One output part per input file, so part numbers line up with the feature parts.
        var currentFile: URL?
        func flush() throws {
            guard currentFile != nil else { return }
            try output.writePart(index: partIndex, rows: pending)
            partIndex += 1
            pending = PCARows(paths: [], labels: [], values: [], dimension: model.k)
        }
        try features.forEachChunk { chunk in
            guard chunk.dimension == model.dimension else {
                throw PipelineError("\(chunk.file.path): features are \(chunk.dimension)-dimensional but the PCA model expects \(model.dimension)")
            }
            if chunk.file != currentFile {
                try flush()
                currentFile = chunk.file
            }
            let projected = try model.transform(rows: chunk.vectors, count: chunk.count)
            pending.paths += chunk.paths
            pending.labels += chunk.labels
            pending.values += projected
            scatter.add(projected, k: model.k, labels: chunk.labels)
            rows += chunk.count
        }
        try flush()
        try output.commit()
        // The old projection moves aside under a temporary name (swept if this process dies), the new
        // one takes its name: readers see one complete projection or the other, never a mix.
        let old = parent.appendingPathComponent(".\(directory.lastPathComponent).\(UUID().uuidString).old.tmp")
        let hadOld = rename(directory.path, old.path) == 0
        guard rename(staging.path, directory.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if hadOld { rename(old.path, directory.path) }
            throw PipelineError("\(directory.path): cannot move the PCA output into place (\(reason))")
        }
        placed = true
        if hadOld { try? FileManager.default.removeItem(at: old) }
        if let plots {
            let svgs = Self.plots(model: model, scatter: scatter, input: input)
            try PCAPlots.write(svgs.scree, to: plots.scree)
            if let svg = svgs.scatter {
                try PCAPlots.write(svg, to: plots.scatter)
            } else {
                unlink(plots.scatter.path)  // a scatter of an earlier fit with k >= 2 would describe another model
            }
        }
        return rows
    }

    /// The scree plot and (for k ≥ 2) the scatter, titled with the input and the counts.
    static func plots(model: PCAModel, scatter: ScatterSample, input: String) -> (scree: String, scatter: String?) {
        let ev = model.explainedVariance
        let scree = PCAPlots.screeSVG(explainedVariance: ev, title: "Explained variance: \(input)",
                                      subtitle: "\(model.count) images, k = \(model.k), "
                                          + "\(PCAPlots.percent(ev.reduce(0, +))) of the variance in \(model.k) components")
        guard model.k >= 2 else { return (scree, nil) }
        let labelCount = Set(scatter.labels).count
        let sampled = scatter.labels.count < scatter.seen ? ", \(scatter.labels.count) plotted" : ""
        let svg = PCAPlots.scatterSVG(projections: scatter.points, stride: 2, labels: scatter.labels,
                                      explainedVariance: ev, title: "First two principal components: \(input)",
                                      subtitle: "\(scatter.seen) images, \(labelCount) labels\(sampled)")
        return (scree, svg)
    }
}

/// An evenly spread, bounded sample of the first two coordinates for the scatter plot.
struct ScatterSample {
    let limit: Int
    var points: [Double] = []
    var labels: [String] = []
    /// Rows offered (the sample keeps an evenly spread share of them).
    private(set) var seen = 0
    private var step = 1

    init(limit: Int) { self.limit = limit }

    mutating func add(_ projected: [Double], k: Int, labels rowLabels: [String]) {
        guard k >= 2 else { return }
        for row in 0..<rowLabels.count {
            defer { seen += 1 }
            guard seen % step == 0 else { continue }
            points += [projected[row * k], projected[row * k + 1]]
            labels.append(rowLabels[row])
            if labels.count >= limit {
                // Keep every other point and halve the rate, so the sample stays spread over the table.
                labels = stride(from: 0, to: labels.count, by: 2).map { labels[$0] }
                points = stride(from: 0, to: points.count / 2, by: 2).flatMap { [points[2 * $0], points[2 * $0 + 1]] }
                step *= 2
            }
        }
    }
}
