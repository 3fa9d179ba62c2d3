import Common
import Foundation
import Imaging
import Model
import PCA
import Parquet
import Storage

/// The streaming featurization: list, decode on a thread pool, run the engine batch by batch, commit
/// one Parquet part per `partRows` inputs, and gather the PCA statistics on the way.
struct Featurizer {
    var options: RunOptions
    var layout: OutputLayout

    func run() throws -> FeaturizeOutcome {
        try BLASThreads.limited(to: 1) { try featurize() }
    }

    private func featurize() throws -> FeaturizeOutcome {
        let started = Date()
        var times = StageTimes()
        let source = try InputSource(parsing: options.input)
        let items = try Listing.items(of: source, config: options.storage).filter { options.shard.owns($0.path) }
        times.listing = Date().timeIntervalSince(started)
        guard !items.isEmpty else {
            throw PipelineError("\(options.input): no *.jpg or *.jpeg images found"
                                + (options.shard.count > 1 ? " for shard \(options.shard)" : ""))
        }

        let model = try ModelLoading.load(options)
        let engine = try EngineFactory.make(options: options, model: model)
        if let note = engine.choiceNote, !options.quiet { FileHandle.standardError.write(Data("device: \(note)\n".utf8)) }
        let metadata = OutputMetadata.features(model: model, engine: engine.name)

        try createDirectory(layout.state)
        var manifest = RunManifest(input: options.input, shard: options.shard.description, partRows: options.partRows,
                                   itemCount: items.count, listingDigest: RunManifest.digest(of: items),
                                   weights: model.weightsIdentity, alpha: model.config.alpha,
                                   inputSize: model.config.inputSize, draft: options.draft,
                                   runID: UUID().uuidString.lowercased())
        if let previous = try RunManifest.load(layout) {
            try previous.checkResumable(as: manifest, in: layout)
            manifest.runID = previous.runID
        } else {
            try AtomicFile.write(try JSONEncoder.pretty.encode(manifest), to: layout.manifest)
        }
        let output = try PartitionedOutput(directory: layout.featuresDirectory, schema: .features,
                                           compression: .snappy, metadata: metadata, runID: manifest.runID)

        let partCount = (items.count + options.partRows - 1) / options.partRows
        let committed = Set(output.existingPartIndices()).filter { $0 < partCount }
        let pending = (0..<partCount).filter { !committed.contains($0) }

        // Statistics and errors of parts an interrupted attempt committed are read back from disk.
        let resumeStart = Date()
        var statistics = try PCAStatistics(dimension: model.featureDimension)
        var errors: [ErrorRow] = []
        var featurized = 0
        for index in committed.sorted() {
            let part = try CommittedPart.read(index: index, dimension: model.featureDimension, output: output, layout: layout)
            try statistics.merge(part.statistics)
            errors += part.errors
            featurized += part.statistics.count
        }
        times.resumeScan = Date().timeIntervalSince(resumeStart)

        // Each feature batch goes on to the statistics (on the device when the engine is there) and
        // the writer; nothing flows back into the engine.
        let observer = try StatisticsObserver(dimension: model.featureDimension, engine: engine.engine)

        let progress = ProgressReporter(total: items.count, quiet: options.quiet,
                                        alreadyDone: committed.reduce(0) { $0 + partRange($1, items.count, partRows: options.partRows).count })
        let decoder = DecodeStage(fetcher: ObjectFetcher(options.storage), inputSize: model.config.inputSize,
                                  keepPixels: engine.takesPixels,
                                  maxPixels: options.maxPixels ?? JPEGDecoder.defaultMaxPixels, draft: options.draft)
        let queue = BoundedQueue<PreparedBatch>(capacity: 3)
        let producerDone = DispatchSemaphore(value: 0)
        let decodeTime = LockedValue(0.0)
        let batchSize = max(1, options.batch)
        let partRows = options.partRows
        Thread.detachNewThread {
            defer { queue.close(); producerDone.signal() }
            for index in pending {
                let range = partRange(index, items.count, partRows: partRows)
                var start = range.lowerBound
                repeat {
                    let end = min(start + batchSize, range.upperBound)
                    let batch = decoder.prepare(part: index, items: Array(items[start..<end]), endsPart: end == range.upperBound)
                    decodeTime.update { $0 += batch.decodeSeconds }
                    guard queue.push(batch) else { return }
                    start = end
                } while start < range.upperBound
            }
        }
        defer {
            queue.close()
            producerDone.wait()
        }

        var partsWritten = 0
        var rows = PartAccumulator()
        let writer = PartWriter(output: output, layout: layout)
        var writerFinished = false
        defer { if !writerFinished { writer.abandon() } }
        while let batch = queue.pop() {
            if let fatal = batch.fatal { throw PipelineError("\(fatal)") }
            let deviceStart = Date()
            if !batch.items.isEmpty {
                let features = try engine.features(of: batch, observer: observer)
                rows.append(batch.items, features)
            }
            times.device += Date().timeIntervalSince(deviceStart)
            rows.errors += batch.errors
            progress.advance(images: batch.items.count + batch.errors.count, failed: batch.errors.count)

            if batch.endsPart {
                try writer.submit(PartWriter.Part(index: batch.part,
                                                  rows: FeatureRows(paths: rows.paths, labels: rows.labels, values: rows.values,
                                                                    dimension: model.featureDimension),
                                                  errors: rows.errors))
                featurized += rows.paths.count
                errors += rows.errors
                partsWritten += 1
                rows = PartAccumulator()
                if let limit = options.maxErrors, errors.count > limit {
                    progress.finish()
                    throw PipelineError("stopped after \(errors.count) unusable inputs (more than --max-errors \(limit)); the first: \(errors[0].path): \(errors[0].message)")
                }
            }
        }
        writerFinished = true
        times.write = try writer.finish()
        do { try statistics.merge(try observer.statistics()) } catch {
            throw PipelineError("PCA statistics gathered on \(engine.name): \(error)")
        }
        progress.finish()
        times.decode = decodeTime.value
        times.total = Date().timeIntervalSince(started)
        return FeaturizeOutcome(layout: layout, model: model, deviceName: engine.name, deviceChoice: engine.choiceNote,
                                listed: items.count,
                                featurized: featurized, errors: errors, partsWritten: partsWritten,
                                partsResumed: committed.count, statistics: statistics,
                                statisticsGatheredOn: observer.gatheredOn, times: times)
    }
}
