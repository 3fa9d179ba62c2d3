import Foundation
import Model
import PCA
import Storage

/// `imgfeat run` on a finished output whose job differs only in `--k`/`--center`: the PCA is refitted
/// from the stored statistics and its outputs replaced; no image is listed or read again.
extension Commands {
    /// A local OUT (or the finished local staging copy of an `s3://` one, uploaded afterwards).
    /// `_SUCCESS` is taken away first, so an interrupted refit leaves an unfinished output that the
    /// next run completes from the committed parts.
    static func refit(_ previous: RunSummary, manifest: RunManifest, job: JobIdentity, model: FoldedMobileNetV2,
                      pca: PCAOptions, options: RunOptions, layout: OutputLayout, target: OutputTarget) throws -> RunSummary {
        let start = Date()
        let statistics = try storedStatistics(layout.statistics, output: options.output)
        try pca.validate(featureDimension: statistics.dimension, images: statistics.count)
        try OutputFiles.remove(layout.success)
        var updated = manifest
        updated.job = job
        updated.pcaRefitPending = nil
        try updated.save(layout)
        let (fitted, note) = try fitAndProject(statistics, pca: pca, device: options.pcaFitDevice, layout: layout,
                                               features: layout.featuresDirectory.path,
                                               metadata: OutputMetadata.features(model: model, engine: previous.device),
                                               input: options.input)
        let summary = try finish(refitted(previous, fitted, note: note, start: start), layout) {
            try writeReport($0, model: fitted, layout: layout)
        }
        try target.publish(options.storage)
        return summary
    }

    /// An `s3://` OUT finished on S3 (its staging copy gone): the statistics file and the feature
    /// parts are downloaded, the PCA is refitted into the staging folder, and the new PCA objects
    /// replace the old ones. The job record goes up first marked pending and last with the new
    /// settings, so an output whose refit was interrupted is refitted again by the next run, whatever
    /// its `--k`; the feature parts, errors and statistics objects are not touched.
    static func refitRemote(_ previous: RunSummary, manifest: RunManifest, job: JobIdentity, model: FoldedMobileNetV2,
                            pca: PCAOptions, options: RunOptions, session: OutputSession) throws -> RunSummary {
        let start = Date()
        let layout = session.layout
        guard let remote = session.target.remote else { preconditionFailure("refitRemote on a local output") }
        let base = try S3Location(parsing: remote)
        let downloads = RemoteFiles(storage: options.storage)
        defer { downloads.cleanUp() }
        let statisticsFile = try downloads.file(base.appending(layout.statistics.lastPathComponent).description)
        let statistics = try storedStatistics(URL(fileURLWithPath: statisticsFile), output: options.output)
        try pca.validate(featureDimension: statistics.dimension, images: statistics.count)
        let features = try downloads.table(base.appending(layout.featuresDirectory.lastPathComponent).description)

        let store: ObjectStore
        do { store = try ObjectStore(config: options.storage) } catch { throw PipelineError("\(remote): \(PipelineError.line(for: error))") }
        func upload(_ what: String, _ body: () throws -> Void) throws {
            do { try body() } catch {
                throw PipelineError("\(remote): refitting the PCA stopped while \(what) (\(PipelineError.line(for: error))); rerun to finish it")
            }
        }
        let manifestKey = base.appending("_imgfeat/" + layout.manifest.lastPathComponent).description
        var updated = manifest
        updated.job = job
        updated.pcaRefitPending = true
        try upload("marking the job record") { try store.put(Array(try updated.encoded()), to: manifestKey) }

        let (fitted, note) = try fitAndProject(statistics, pca: pca, device: options.pcaFitDevice, layout: layout,
                                               features: features,
                                               metadata: OutputMetadata.features(model: model, engine: previous.device),
                                               input: options.input)
        // No local _SUCCESS: the staging folder holds no features or job record, and a run stopped
        // here must find the remote output (pending) again, not a finished local copy.
        let summary = try finish(refitted(previous, fitted, note: note, start: start), layout, markSuccess: false) {
            try writeReport($0, model: fitted, layout: layout)
        }
        let pcaPrefix = base.appending(layout.pcaDirectory.lastPathComponent).description
        let newParts = Set((try? FileManager.default.contentsOfDirectory(atPath: layout.pcaDirectory.path)) ?? [])
        try upload("uploading the projection") { try store.upload(localFolder: layout.pcaDirectory.path, to: pcaPrefix) }
        var stale: Set<String> = []
        for file in [layout.pcaModel, layout.screePlot, layout.scatterPlot, layout.report, layout.summary] {
            guard FileManager.default.fileExists(atPath: file.path) else {
                stale.insert(file.lastPathComponent)  // no scatter for k = 1: an older one would describe another fit
                continue
            }
            try upload("uploading \(file.lastPathComponent)") {
                try store.put(try ObjectReader.readLocal(file.path), to: base.appending(file.lastPathComponent).description)
            }
        }
        try upload("removing the old projection") {
            try store.delete(under: pcaPrefix) { !newParts.contains($0) }
            if !stale.isEmpty { try store.delete(under: remote) { stale.contains($0) } }
        }
        updated.pcaRefitPending = nil
        try upload("recording the new PCA settings") { try store.put(Array(try updated.encoded()), to: manifestKey) }
        session.target.discardStaging()
        return summary
    }

    /// The statistics a finished run stored, or an error that says what to do.
    private static func storedStatistics(_ url: URL, output: String) throws -> PCAStatistics {
        do {
            return try PCAStatistics.load(from: url)
        } catch {
            throw PipelineError("\(output): cannot refit the PCA, the stored statistics are unreadable (\(PipelineError.line(for: error))); add --overwrite to run again")
        }
    }

    /// The finished run's summary, now describing this refit: nothing featurized, every part resumed.
    private static func refitted(_ previous: RunSummary, _ fitted: PCAModel, note: String?, start: Date) -> RunSummary {
        var summary = previous
        summary.recordFit(fitted, note: note)
        summary.alreadyComplete = false
        summary.refitted = true
        summary.partsResumed = previous.partsResumed + previous.partsWritten
        summary.partsWritten = 0
        summary.pcaK = fitted.k
        summary.pcaExplainedVarianceTotal = fitted.explainedVariance.reduce(0, +)
        summary.secondsPerStage = StageTimes()
        summary.secondsPerStage.pca = Date().timeIntervalSince(start)
        summary.secondsPerStage.total = summary.secondsPerStage.pca
        summary.imagesPerSecond = 0
        summary.imagesProcessed = 0
        summary.imagesResumed = (previous.imagesProcessed ?? 0) + (previous.imagesResumed ?? 0)
        summary.startedAt = timestamp(start)
        return summary
    }
}
