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
    /// statistics (in place, for an `s3://` OUT too); of another job, refused.
    public static func run(_ options: RunOptions, pca: PCAOptions) throws -> RunSummary {
        let started = Date()
        guard pca.k >= 1 else { throw PipelineError("--k must be 1 or more (got \(pca.k))") }
        let session = try openOutput(options, layout: OutputLayout.forRun)
        let target = session.target
        return try withExtendedLifetime(session) {
            let layout = session.layout
            let model = try loadModel(options)
            try pca.validate(featureDimension: model.featureDimension)
            let job = JobIdentity(command: "run", options: options, model: model, pca: pca)
            switch try session.state(for: job, output: options.output, storage: options.storage) {
            case .complete(let summary): return summary
            case .refit(let summary, let manifest):
                return try refit(summary, manifest: manifest, job: job, model: model, pca: pca, options: options,
                                 layout: layout, target: target)
            case .refitRemote(let summary, let manifest):
                return try refitRemote(summary, manifest: manifest, job: job, model: model, pca: pca, options: options,
                                       session: session)
            case .fresh: break
            }
            let outcome = try Featurizer(options: options, layout: layout, model: model, job: job) {
                try pca.validate(featureDimension: model.featureDimension, images: $0)
            }.run()
            let featuresOutput = try featureOutput(outcome)
            try featuresOutput.commit()
            try writeErrors(outcome.errors, to: layout.errors, metadata: featuresOutput.metadata)
            try outcome.statistics.save(to: layout.statistics)
            try pca.validate(featurized: outcome.statistics.count, unusable: outcome.errors.count,
                             errorsFile: layout.errors.path)

            let pcaStart = Date()
            let (fitted, note) = try fitAndProject(outcome.statistics, pca: pca, device: options.pcaFitDevice, layout: layout,
                                                   features: layout.featuresDirectory.path, metadata: featuresOutput.metadata,
                                                   input: options.input)
            var summary = makeSummary("run", options, outcome, started: started)
            summary.recordFit(fitted, note: note)
            summary.secondsPerStage.pca = Date().timeIntervalSince(pcaStart)
            summary.secondsPerStage.total += summary.secondsPerStage.pca
            summary.pcaK = fitted.k
            summary.pcaExplainedVarianceTotal = fitted.explainedVariance.reduce(0, +)
            summary = try finish(summary, layout) { try writeReport($0, model: fitted, layout: layout) }
            try target.publish(options.storage)
            return summary
        }
    }

    /// `imgfeat featurize`: the feature parts only, plus the errors and the PCA statistics of this
    /// shard behind `_` names (for `imgfeat pca fit` to merge), `_SUCCESS` last.
    public static func featurize(_ options: RunOptions) throws -> RunSummary {
        let started = Date()
        let session = try openOutput(options, layout: OutputLayout.forFeaturize)
        let target = session.target
        return try withExtendedLifetime(session) {
            let layout = session.layout
            let model = try loadModel(options)
            let job = JobIdentity(command: "featurize", options: options, model: model, pca: nil)
            if case .complete(let summary) = try session.state(for: job, output: options.output, storage: options.storage) {
                return summary
            }
            let outcome = try Featurizer(options: options, layout: layout, model: model, job: job).run()
            let featuresOutput = try featureOutput(outcome)
            try writeErrors(outcome.errors, to: layout.errors, metadata: featuresOutput.metadata)
            try outcome.statistics.save(to: layout.statistics)
            var summary = makeSummary("featurize", options, outcome, started: started)
            summary = try finish(summary, layout)
            try target.publish(options.storage)
            return summary
        }
    }

    /// `imgfeat pca fit`: merges the statistics of Parquet feature tables and/or statistics files
    /// (`*.bin` written by featurize/run), fits, saves MODEL.json, prints the explained variance.
    /// Inputs and the model may be `s3://` objects (a features prefix is read as a folder of parts).
    /// `device` runs the eigen step (LAPACK on the host by default).
    public static func pcaFit(inputs: [String], options: PCAOptions, modelPath: String, quiet: Bool,
                              storage: StorageConfig = StorageConfig(), device: PCAFitDevice = .host) throws -> PCAModel {
        guard !inputs.isEmpty else { throw PipelineError("pca fit: no FEATURES given") }
        let remote = RemoteFiles(storage: storage)
        defer { remote.cleanUp() }
        var merged: PCAStatistics?
        var check = FeatureModelCheck()
        for input in inputs {
            let statistics = try statisticsOf(input, remote, check: &check)
            if merged == nil { merged = statistics } else {
                do { try merged?.merge(statistics) } catch {
                    throw PipelineError("\(input): cannot merge with the inputs before it (\(error))")
                }
            }
        }
        guard let merged else { throw PipelineError("pca fit: no statistics") }
        let modelFile = try remote.output(modelPath)
        let (model, _) = try PCAStage(options: options, quiet: quiet, device: device)
            .fit(merged, modelURL: URL(fileURLWithPath: modelFile), features: check.model)
        try remote.publish(modelFile, to: modelPath)
        return model
    }

    /// `imgfeat pca transform`: projects a feature table with a saved model into a folder of parts;
    /// features of another model than the one the PCA was fitted on are refused. FEATURES, the model
    /// and the output may be `s3://` (the output is written locally, then uploaded `_SUCCESS` last, as
    /// `featurize` does).
    public static func pcaTransform(features: String, modelPath: String, output: String,
                                    storage: StorageConfig = StorageConfig()) throws -> Int {
        let remote = RemoteFiles(storage: storage)
        defer { remote.cleanUp() }
        let model = try PCAModel.load(from: URL(fileURLWithPath: try remote.file(modelPath)))
        let table = try FeatureTable(path: try remote.table(features))
        // Every file's footer is checked before anything is projected.
        var check = FeatureModelCheck(fittedOn: model.featureModel, modelPath: modelPath)
        for file in table.files { try check.see(try FeatureTable.model(of: file), in: file.path) }
        let target = OutputTarget(output)
        let directory = target.local
        let rows = try PCAStage(options: PCAOptions(k: model.k, center: model.center), quiet: true)
            .transform(features: table, model: model, directory: directory,
                       metadata: model.featureModel.merging(["imgfeat.version": OutputMetadata.version]) { $1 },
                       plots: (directory.appendingPathComponent("_pca-scree.svg"),
                               directory.appendingPathComponent("_pca-scatter.svg")), input: features)
        try target.publish(storage)
        return rows
    }

    /// `imgfeat weights fetch`: the official ImageNet file for `alpha` and `size` in the cache (found
    /// there, or downloaded and checked by loading it), even when the search is otherwise offline.
    /// Returns a line naming the file, whether it was downloaded, and its identity.
    public static func fetchWeights(alpha: Double, size: Int, storage: StorageConfig, search: WeightsSearch) throws -> String {
        let fetched = try ModelLoading.fetch(alpha: alpha, inputSize: size, storage: storage, search: search)
        return "\(fetched.path) (\(fetched.downloaded ? "downloaded from \(search.downloadBase)" : "already there"); "
            + "\(fetched.model.weightsIdentity), loads as MobileNetV2 alpha \(fetched.model.config.alpha))"
    }

    /// `imgfeat preprocess`: the model input of each image (Pillow-exact resize) as binary PPM under
    /// `output`, named after its path (PreprocessCommand); bad inputs are reported, not fatal.
    public static func preprocess(inputs: [String], output: String, size: Int, draft: Bool,
                                  storage: StorageConfig) throws -> PreprocessReport {
        try PreprocessCommand.run(inputs: inputs, output: output, size: size, draft: draft, storage: storage)
    }

    // MARK: - pieces

    /// Checks the options, then opens OUT (or an `s3://` OUT's staging folder) with this command's
    /// layout: locked against a second writer, swept, cleared first by `--overwrite`.
    private static func openOutput(_ options: RunOptions, layout: (URL) -> OutputLayout) throws -> OutputSession {
        try options.validate()
        let target = OutputTarget(options.output)
        return try OutputSession(target: target, layout: layout(target.local), options: options, overwrite: options.overwrite)
    }

    private static func loadModel(_ options: RunOptions) throws -> FoldedMobileNetV2 {
        try ModelLoading.load(options)
    }

    /// Fits the PCA on `device`, saves the model, projects the feature parts (the folder `features`) and
    /// draws the plots; returns the model and a device fit's fallback note.
    static func fitAndProject(_ statistics: PCAStatistics, pca: PCAOptions, device: PCAFitDevice, layout: OutputLayout,
                              features: String, metadata: [String: String], input: String) throws -> (model: PCAModel, note: String?) {
        // --quiet silences progress only: the explained variance is a result and is printed.
        let stage = PCAStage(options: pca, quiet: false, device: device)
        let (model, note) = try stage.fit(statistics, modelURL: layout.pcaModel, features: FeatureModel(metadata: metadata))
        try stage.transform(features: try FeatureTable(path: features), model: model,
                            directory: layout.pcaDirectory, metadata: metadata,
                            plots: (layout.screePlot, layout.scatterPlot), input: input)
        return (model, note)
    }

    /// The standalone HTML report of a run: both plots, the explained variance, counts and settings.
    static func writeReport(_ summary: RunSummary, model: PCAModel, layout: OutputLayout) throws {
        let scree = try String(contentsOf: layout.screePlot, encoding: .utf8)
        let scatter = try? String(contentsOf: layout.scatterPlot, encoding: .utf8)
        try AtomicFile.write(Data(RunReportPage.html(summary: summary, model: model, scree: scree, scatter: scatter).utf8),
                             to: layout.report)
    }

    private static func statisticsOf(_ input: String, _ remote: RemoteFiles, check: inout FeatureModelCheck) throws -> PCAStatistics {
        if input.lowercased().hasSuffix(".bin") {
            return try PCAStatistics.load(from: URL(fileURLWithPath: try remote.file(input)))
        }
        var statistics: PCAStatistics?
        try FeatureTable(path: try remote.table(input)).forEachChunk { chunk in
            if statistics == nil { statistics = try PCAStatistics(dimension: chunk.dimension) }
            guard statistics?.dimension == chunk.dimension else {
                throw PipelineError("\(chunk.file.path): features are \(chunk.dimension)-dimensional, earlier rows \(statistics?.dimension ?? 0)")
            }
            try check.see(chunk.model, in: chunk.file.path)
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

    /// The errors table, with the feature tables' metadata (model, weights, engine).
    private static func writeErrors(_ errors: [ErrorRow], to url: URL, metadata: [String: String]) throws {
        try AtomicFile.write(to: url) { temporary in
            let writer = try ParquetWriter(url: temporary, schema: .errors, compression: .snappy, metadata: metadata)
            try writer.append(ErrorRows(errors).columns)
            try writer.close()
        }
    }

    private static func makeSummary(_ command: String, _ options: RunOptions, _ outcome: FeaturizeOutcome,
                                    started: Date) -> RunSummary {
        var byStage: [String: Int] = [:]
        for error in outcome.errors { byStage[error.stage, default: 0] += 1 }
        // The rate of this attempt: inputs of resumed parts were not processed now.
        let processed = max(0, outcome.featurized + outcome.errors.count - outcome.imagesResumed)
        var summary = RunSummary(version: ImgfeatVersion.current,
                          commandLine: options.commandLine.map { Redaction.stripQuery(Redaction.scrub($0)) },
                          startedAt: timestamp(started), endedAt: nil, command: command, input: options.input, output: options.output, device: outcome.deviceName,
                          deviceChoice: outcome.deviceChoice, weights: outcome.model.weightsIdentity,
                          alpha: outcome.model.config.alpha, inputSize: outcome.model.config.inputSize,
                          shard: options.shard.description, listed: outcome.listed, featurized: outcome.featurized,
                          errors: outcome.errors.count, errorsByStage: byStage, partsWritten: outcome.partsWritten,
                          partsResumed: outcome.partsResumed, pcaStatisticsOn: outcome.statisticsGatheredOn,
                          secondsPerStage: outcome.times, imagesProcessed: processed,
                          imagesResumed: outcome.imagesResumed,
                          imagesPerSecond: processed == 0 ? 0 : Double(processed) / max(outcome.times.total, 1e-9))
        summary.duplicates = outcome.duplicates
        summary.draft = options.draft
        summary.fastPaths = outcome.fastPaths
        summary.feeding = outcome.feeding
        return summary
    }

    /// ISO 8601 in UTC with milliseconds, as summary.json records its start and end.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Saves the summary (stamped with its end), then what `beforeSuccess` writes, then `_SUCCESS`
    /// (unless `markSuccess` is false: a remote refit's staging folder holds only the PCA outputs);
    /// returns the summary saved.
    static func finish(_ summary: RunSummary, _ layout: OutputLayout, markSuccess: Bool = true,
                       beforeSuccess: (RunSummary) throws -> Void = { _ in }) throws -> RunSummary {
        var summary = summary
        summary.endedAt = timestamp(Date())
        try AtomicFile.write(try JSONEncoder.pretty.encode(summary), to: layout.summary)
        try beforeSuccess(summary)
        if markSuccess { try AtomicFile.write(Data(), to: layout.success) }
        return summary
    }
}
