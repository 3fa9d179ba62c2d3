import Common
import Foundation
import Imaging
import Model
import PCA
import Parquet
import Storage

/// The commands of the `imgfeat` tool as library calls: the CLI parses, calls these, and prints.
public enum Commands {
    /// `imgfeat run`: featurize INPUT, fit the PCA from the statistics gathered on the way, project,
    /// write everything under OUT, `_SUCCESS` last. A finished OUT of the same job is left as it is; of
    /// the same featurization with another `--k`/`--center`, its PCA is refitted from the stored
    /// statistics; of another job, refused.
    public static func run(_ options: RunOptions, pca: PCAOptions) throws -> RunSummary {
        try options.validate()
        guard pca.k >= 1 else { throw PipelineError("--k must be 1 or more (got \(pca.k))") }
        let target = OutputTarget(options.output)
        let session = try OutputSession(target: target, layout: .forRun(target.local), options: options,
                                        overwrite: options.overwrite)
        return try withExtendedLifetime(session) {
            let layout = session.layout
            let model = try loadModel(options)
            try pca.validate(featureDimension: model.featureDimension)
            let job = JobIdentity(command: "run", options: options, model: model, pca: pca)
            switch try session.state(for: job, output: options.output, storage: options.storage) {
            case .complete(let summary): return summary
            case .refit(let summary, let manifest):
                return try refit(summary, manifest: manifest, job: job, model: model, pca: pca, options: options, layout: layout)
            case .fresh: break
            }
            let outcome = try Featurizer(options: options, layout: layout, model: model, job: job) {
                try pca.validate(featureDimension: model.featureDimension, images: $0)
            }.run()
            let featuresOutput = try featureOutput(outcome)
            try featuresOutput.commit()
            try writeErrors(outcome.errors, to: layout.errors)
            try outcome.statistics.save(to: layout.statistics)

            let pcaStart = Date()
            let fitted = try fitAndProject(outcome.statistics, pca: pca, layout: layout, metadata: featuresOutput.metadata,
                                           quiet: options.quiet)
            var summary = makeSummary("run", options, outcome)
            summary.secondsPerStage.pca = Date().timeIntervalSince(pcaStart)
            summary.secondsPerStage.total += summary.secondsPerStage.pca
            summary.pcaK = fitted.k
            summary.pcaExplainedVarianceTotal = fitted.explainedVariance.reduce(0, +)
            try finish(summary, layout)
            try target.publish(options.storage)
            return summary
        }
    }

    /// `imgfeat featurize`: the feature parts only, plus the errors and the PCA statistics of this
    /// shard behind `_` names (for `imgfeat pca fit` to merge), `_SUCCESS` last.
    public static func featurize(_ options: RunOptions) throws -> RunSummary {
        try options.validate()
        let target = OutputTarget(options.output)
        let session = try OutputSession(target: target, layout: .forFeaturize(target.local), options: options,
                                        overwrite: options.overwrite)
        return try withExtendedLifetime(session) {
            let layout = session.layout
            let model = try loadModel(options)
            let job = JobIdentity(command: "featurize", options: options, model: model, pca: nil)
            if case .complete(let summary) = try session.state(for: job, output: options.output, storage: options.storage) {
                return summary
            }
            let outcome = try Featurizer(options: options, layout: layout, model: model, job: job).run()
            _ = try featureOutput(outcome)
            try writeErrors(outcome.errors, to: layout.errors)
            try outcome.statistics.save(to: layout.statistics)
            let summary = makeSummary("featurize", options, outcome)
            try finish(summary, layout)
            try target.publish(options.storage)
            return summary
        }
    }

    /// `imgfeat pca fit`: merges the statistics of Parquet feature tables and/or statistics files
    /// (`*.bin` written by featurize/run), fits, saves MODEL.json, prints the explained variance.
    /// Inputs and the model may be `s3://` objects (a features prefix is read as a folder of parts).
    public static func pcaFit(inputs: [String], options: PCAOptions, modelPath: String, quiet: Bool,
                              storage: StorageConfig = StorageConfig()) throws -> PCAModel {
        guard !inputs.isEmpty else { throw PipelineError("pca fit: no FEATURES given") }
        let remote = RemoteFiles(storage: storage)
        defer { remote.cleanUp() }
        var merged: PCAStatistics?
        for input in inputs {
            let statistics = try statisticsOf(input, remote)
            if merged == nil { merged = statistics } else {
                do { try merged?.merge(statistics) } catch {
                    throw PipelineError("\(input): cannot merge with the inputs before it (\(error))")
                }
            }
        }
        guard let merged else { throw PipelineError("pca fit: no statistics") }
        let modelFile = try remote.output(modelPath)
        let model = try PCAStage(options: options, quiet: quiet).fit(merged, modelURL: URL(fileURLWithPath: modelFile))
        try remote.publish(modelFile, to: modelPath)
        return model
    }

    /// `imgfeat pca transform`: projects a feature table with a saved model into a folder of parts.
    /// FEATURES, the model and the output may be `s3://` (the output is written locally, then
    /// uploaded `_SUCCESS` last, as `featurize` does).
    public static func pcaTransform(features: String, modelPath: String, output: String,
                                    storage: StorageConfig = StorageConfig()) throws -> Int {
        let remote = RemoteFiles(storage: storage)
        defer { remote.cleanUp() }
        let model = try PCAModel.load(from: URL(fileURLWithPath: try remote.file(modelPath)))
        let target = OutputTarget(output)
        let directory = target.local
        let rows = try PCAStage(options: PCAOptions(k: model.k, center: model.center), quiet: true)
            .transform(features: try FeatureTable(path: try remote.table(features)), model: model, directory: directory,
                       metadata: ["imgfeat.version": OutputMetadata.version],
                       plots: (directory.appendingPathComponent("_pca-scree.svg"),
                               directory.appendingPathComponent("_pca-scatter.svg")))
        try target.publish(storage)
        return rows
    }

    /// `imgfeat preprocess`: the model input of each image (Pillow-exact resize) as binary PPM under
    /// `output`, named after its path (PreprocessCommand); bad inputs are reported, not fatal.
    public static func preprocess(inputs: [String], output: String, size: Int, draft: Bool,
                                  storage: StorageConfig) throws -> PreprocessReport {
        try PreprocessCommand.run(inputs: inputs, output: output, size: size, draft: draft, storage: storage)
    }

    // MARK: - pieces

    private static func loadModel(_ options: RunOptions) throws -> FoldedMobileNetV2 {
        try ModelLoading.load(options)
    }

    /// Fits the PCA, saves the model, projects the feature parts and draws the plots.
    private static func fitAndProject(_ statistics: PCAStatistics, pca: PCAOptions, layout: OutputLayout,
                                      metadata: [String: String], quiet: Bool) throws -> PCAModel {
        let stage = PCAStage(options: pca, quiet: quiet)
        let model = try stage.fit(statistics, modelURL: layout.pcaModel)
        try stage.transform(features: try FeatureTable(path: layout.featuresDirectory.path), model: model,
                            directory: layout.pcaDirectory, metadata: metadata,
                            plots: (layout.screePlot, layout.scatterPlot))
        return model
    }

    /// A finished run asked again with only `--k`/`--center` changed: the PCA is refitted from the
    /// stored statistics (no image is read) and its outputs replaced. `_SUCCESS` is taken away first,
    /// so an interrupted refit leaves an unfinished output that the next run completes from the parts.
    private static func refit(_ previous: RunSummary, manifest: RunManifest, job: JobIdentity, model: FoldedMobileNetV2,
                              pca: PCAOptions, options: RunOptions, layout: OutputLayout) throws -> RunSummary {
        let start = Date()
        let statistics: PCAStatistics
        do {
            statistics = try PCAStatistics.load(from: layout.statistics)
        } catch {
            throw PipelineError("\(options.output): cannot refit the PCA, the stored statistics are unreadable (\(error)); add --overwrite to run again")
        }
        try pca.validate(featureDimension: statistics.dimension, images: statistics.count)
        try OutputFiles.remove(layout.success)
        var updated = manifest
        updated.job = job
        try updated.save(layout)
        let metadata = OutputMetadata.features(model: model, engine: previous.device)
        let fitted = try fitAndProject(statistics, pca: pca, layout: layout, metadata: metadata, quiet: options.quiet)
        var summary = previous
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
        try finish(summary, layout)
        return summary
    }

    private static func statisticsOf(_ input: String, _ remote: RemoteFiles) throws -> PCAStatistics {
        if input.lowercased().hasSuffix(".bin") {
            return try PCAStatistics.load(from: URL(fileURLWithPath: try remote.file(input)))
        }
        var statistics: PCAStatistics?
        try FeatureTable(path: try remote.table(input)).forEachChunk { chunk in
            if statistics == nil { statistics = try PCAStatistics(dimension: chunk.dimension) }
            guard statistics?.dimension == chunk.dimension else {
                throw PipelineError("\(chunk.file.path): features are \(chunk.dimension)-dimensional, earlier rows \(statistics?.dimension ?? 0)")
            }
            try statistics?.add(rows: chunk.vectors, count: chunk.count)
        }
        guard let statistics else { throw PipelineError("\(input): no feature rows") }
        return statistics
    }

    private static func featureOutput(_ outcome: FeaturizeOutcome) throws -> PartitionedOutput {
        let manifest = try RunManifest.load(outcome.layout)
        return try PartitionedOutput(directory: outcome.layout.featuresDirectory, schema: .features, compression: .snappy,
                                     metadata: OutputMetadata.features(model: outcome.model, engine: outcome.deviceName),
                                     runID: manifest?.runID ?? UUID().uuidString.lowercased())
    }

    private static func writeErrors(_ errors: [ErrorRow], to url: URL) throws {
        try AtomicFile.write(to: url) { temporary in
            let writer = try ParquetWriter(url: temporary, schema: .errors, compression: .snappy,
                                           metadata: ["imgfeat.version": OutputMetadata.version])
            try writer.append(ErrorRows(paths: errors.map(\.path), stages: errors.map(\.stage), messages: errors.map(\.message)).columns)
            try writer.close()
        }
    }

    private static func makeSummary(_ command: String, _ options: RunOptions, _ outcome: FeaturizeOutcome) -> RunSummary {
        var byStage: [String: Int] = [:]
        for error in outcome.errors { byStage[error.stage, default: 0] += 1 }
        let processed = Double(outcome.featurized + outcome.errors.count)
        var summary = RunSummary(command: command, input: options.input, output: options.output, device: outcome.deviceName,
                          deviceChoice: outcome.deviceChoice, weights: outcome.model.weightsIdentity,
                          alpha: outcome.model.config.alpha, inputSize: outcome.model.config.inputSize,
                          shard: options.shard.description, listed: outcome.listed, featurized: outcome.featurized,
                          errors: outcome.errors.count, errorsByStage: byStage, partsWritten: outcome.partsWritten,
                          partsResumed: outcome.partsResumed, pcaStatisticsOn: outcome.statisticsGatheredOn,
                          secondsPerStage: outcome.times,
                          imagesPerSecond: processed / max(outcome.times.total, 1e-9))
        summary.duplicates = outcome.duplicates
        summary.draft = options.draft
        return summary
    }

    private static func finish(_ summary: RunSummary, _ layout: OutputLayout) throws {
        try AtomicFile.write(try JSONEncoder.pretty.encode(summary), to: layout.summary)
        try AtomicFile.write(Data(), to: layout.success)
    }
}
