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
    /// write everything under OUT, `_SUCCESS` last.
    public static func run(_ options: RunOptions, pca: PCAOptions) throws -> RunSummary {
        let started = Date()
        let target = OutputTarget(options.output)
        let layout = OutputLayout.forRun(target.local)
        if let done = try completedSummary("run", options, layout, target) { return done }
        let outcome = try Featurizer(options: options, layout: layout).run()
        let featuresOutput = try featureOutput(outcome)
        try featuresOutput.commit()
        try writeErrors(outcome.errors, to: layout.errors, metadata: featuresOutput.metadata)
        try outcome.statistics.save(to: layout.statistics)

        let pcaStart = Date()
        // --quiet silences progress only: the explained variance is a result and is printed.
        let stage = PCAStage(options: pca, quiet: false)
        let model = try stage.fit(outcome.statistics, modelURL: layout.pcaModel,
                                  features: FeatureModel(metadata: featuresOutput.metadata))
        try stage.transform(features: try FeatureTable(path: layout.featuresDirectory.path), model: model,
                            directory: layout.pcaDirectory, metadata: featuresOutput.metadata,
                            plots: (layout.screePlot, layout.scatterPlot), input: options.input)
        var summary = makeSummary("run", options, outcome, started: started)
        summary.secondsPerStage.pca = Date().timeIntervalSince(pcaStart)
        summary.secondsPerStage.total += summary.secondsPerStage.pca
        summary.pcaK = model.k
        summary.pcaExplainedVarianceTotal = model.explainedVariance.reduce(0, +)
        summary = try finish(summary, layout) { finished in
            let scree = try String(contentsOf: layout.screePlot, encoding: .utf8)
            let scatter = try? String(contentsOf: layout.scatterPlot, encoding: .utf8)
            try AtomicFile.write(Data(RunReportPage.html(summary: finished, model: model, scree: scree, scatter: scatter).utf8),
                                 to: layout.report)
        }
        try target.publish(options.storage)
        return summary
    }

    /// `imgfeat featurize`: the feature parts only, plus the errors and the PCA statistics of this
    /// shard behind `_` names (for `imgfeat pca fit` to merge), `_SUCCESS` last.
    public static func featurize(_ options: RunOptions) throws -> RunSummary {
        let started = Date()
        let target = OutputTarget(options.output)
        let layout = OutputLayout.forFeaturize(target.local)
        if let done = try completedSummary("featurize", options, layout, target) { return done }
        let outcome = try Featurizer(options: options, layout: layout).run()
        let featuresOutput = try featureOutput(outcome)
        try writeErrors(outcome.errors, to: layout.errors, metadata: featuresOutput.metadata)
        try outcome.statistics.save(to: layout.statistics)
        var summary = makeSummary("featurize", options, outcome, started: started)
        summary = try finish(summary, layout)
        try target.publish(options.storage)
        return summary
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
        let model = try PCAStage(options: options, quiet: quiet).fit(merged, modelURL: URL(fileURLWithPath: modelFile),
                                                                     features: check.model)
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
        summary.draft = options.draft
        return summary
    }

    /// ISO 8601 in UTC with milliseconds, as summary.json records its start and end.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Saves the summary (stamped with its end), then what `beforeSuccess` writes, then `_SUCCESS`;
    /// returns the summary saved.
    private static func finish(_ summary: RunSummary, _ layout: OutputLayout,
                               beforeSuccess: (RunSummary) throws -> Void = { _ in }) throws -> RunSummary {
        var summary = summary
        summary.endedAt = timestamp(Date())
        try AtomicFile.write(try JSONEncoder.pretty.encode(summary), to: layout.summary)
        try beforeSuccess(summary)
        try AtomicFile.write(Data(), to: layout.success)
        return summary
    }

    /// The saved summary of a run that already finished (in `layout`, or at the remote output whose
    /// staging copy is gone), so rerunning it does nothing. A finished run of another command, input,
    /// shard or model there is refused rather than reported as done.
    private static func completedSummary(_ command: String, _ options: RunOptions, _ layout: OutputLayout,
                                         _ target: OutputTarget) throws -> RunSummary? {
        var summary: RunSummary
        if FileManager.default.fileExists(atPath: layout.success.path),
           let data = try? Data(contentsOf: layout.summary),
           let local = try? JSONDecoder().decode(RunSummary.self, from: data) {
            try target.publish(options.storage)
            summary = local
        } else if let remote = try target.remoteSummary(layout, options.storage) {
            summary = remote
        } else {
            return nil
        }
        var differences: [String] = []
        if summary.command != command { differences.append("it was written by imgfeat \(summary.command)") }
        if summary.input != options.input { differences.append("its input is \(summary.input)") }
        if summary.shard != options.shard.description { differences.append("its shard is \(summary.shard)") }
        if let alpha = options.alpha, abs(alpha - summary.alpha) > 1e-9 { differences.append("its alpha is \(summary.alpha)") }
        if let size = options.inputSize, size != summary.inputSize { differences.append("its size is \(summary.inputSize)") }
        if (summary.draft ?? false) != options.draft { differences.append(options.draft ? "it was decoded in full, without --draft" : "it was decoded with --draft") }
        guard differences.isEmpty else {
            throw PipelineError("\(options.output) already holds a finished run (\(differences.joined(separator: ", "))); "
                                + "choose another --output or remove that one")
        }
        summary.alreadyComplete = true
        return summary
    }
}
