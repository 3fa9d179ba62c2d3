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
    var model: FoldedMobileNetV2
    var job: JobIdentity
    /// Called with the number of images listed, before any is read (`run` checks `--k` there).
    var checkListing: (Int) throws -> Void = { _ in }

    func run() throws -> FeaturizeOutcome {
        try BLASThreads.limited(to: 1) { try featurize() }
    }

    private func featurize() throws -> FeaturizeOutcome {
        let started = Date()
        var times = StageTimes()
        let source = try InputSource(parsing: options.input)
        let listing = try Listing.scan(source, config: options.storage)
        let items = listing.items.filter { options.shard.owns($0.path) }
        // Entries the listing could not use are error rows of the shard that owns their path.
        let listingErrors = listing.problems.filter { options.shard.owns($0.path) }
            .map { ErrorRow(path: $0.path, label: InputItem(path: $0.path).label, stage: $0.stage, message: $0.message) }
        times.listing = Date().timeIntervalSince(started)
        guard !items.isEmpty else {
            throw PipelineError("\(options.input): no *.jpg or *.jpeg images found"
                                + (options.shard.count > 1 ? " for shard \(options.shard)" : "")
                                + (listingErrors.first.map { "; \(listingErrors.count) entries could not be used, the first: \($0.message)" } ?? ""))
        }
        try checkListing(items.count)

        let engine = try EngineFactory.make(options: options, model: model)
        if let note = engine.choiceNote, !options.quiet { FileHandle.standardError.write(Data("device: \(note)\n".utf8)) }
        // A fast path turned off by the self-check is said even with --quiet: the run is slower than it should be.
        if let note = engine.vulkan?.selfCheckVerdict?.note { FileHandle.standardError.write(Data("imgfeat: warning: \(note)\n".utf8)) }
        if let note = engine.vulkan?.launchTuningNote, !options.quiet { FileHandle.standardError.write(Data("imgfeat: note: \(note)\n".utf8)) }
        let metadata = OutputMetadata.features(model: model, engine: engine.name)

        try createDirectory(layout.state)
        var manifest = RunManifest(job: job, partRows: options.partRows, itemCount: items.count,
                                   listingDigest: RunManifest.digest(of: items), runID: UUID().uuidString.lowercased())
        let previous = try RunManifest.load(layout)
        if let previous {
            try previous.checkResumable(as: manifest, in: layout)
            manifest.runID = previous.runID
        }
        // Saved again when only the PCA settings changed: the finished output must record this job.
        if previous != manifest { try manifest.save(layout) }
        let output = try PartitionedOutput(directory: layout.featuresDirectory, schema: .features,
                                           compression: .snappy, metadata: metadata, runID: manifest.runID)

        let partCount = (items.count + options.partRows - 1) / options.partRows
        let committed = Set(output.existingPartIndices()).filter { $0 < partCount }
        let pending = (0..<partCount).filter { !committed.contains($0) }

        // Statistics and errors of parts an interrupted attempt committed are read back from disk.
        let resumeStart = Date()
        var statistics = try PCAStatistics(dimension: model.featureDimension)
        var errors = listingErrors
        var featurized = 0
        for index in committed.sorted() {
            let part = try CommittedPart.read(index: index, dimension: model.featureDimension, output: output, layout: layout)
            try statistics.merge(part.statistics)
            errors += part.errors
            featurized += part.statistics.count
        }
        times.resumeScan = Date().timeIntervalSince(resumeStart)
        // The limit counts the errors of committed parts too, so a rerun cannot commit one more part
        // past it each time and finally succeed.
        try checkErrorLimit(errors)

        // Each feature batch goes on to the statistics (on the device when the engine is there) and
        // the writer; nothing flows back into the engine.
        let observer = try StatisticsObserver(dimension: model.featureDimension, engine: engine.engine)

        let resumedImages = committed.reduce(0) { $0 + partRange($1, items.count, partRows: options.partRows).count }
        let progress = ProgressReporter(total: items.count, quiet: options.quiet, alreadyDone: resumedImages)
        let decoder = DecodeStage(fetcher: ObjectFetcher(options.storage), inputSize: model.config.inputSize,
                                  keepPixels: engine.takesPixels,
                                  maxPixels: options.maxPixels ?? JPEGDecoder.defaultMaxPixels, draft: options.draft)
        let queue = BoundedQueue<PreparedBatch>(capacity: 3)
        let producerDone = DispatchSemaphore(value: 0)
        let decodeTime = LockedValue(0.0)
        let batchSize = max(1, options.batch ?? engine.defaultBatch)
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
        // Batches come back from the device stage in order, possibly a few submissions later (the Vulkan
        // engine keeps work in flight); each is added to its part, which is committed when it ends.
        func finish(_ batch: PreparedBatch, _ features: [Float]) throws {
            if !batch.items.isEmpty { rows.append(batch.items, features) }
            rows.errors += batch.errors
            progress.advance(images: batch.items.count + batch.errors.count, failed: batch.errors.count)
            guard batch.endsPart else { return }
            try writer.submit(PartWriter.Part(index: batch.part,
                                              rows: FeatureRows(paths: rows.paths, labels: rows.labels, values: rows.values,
                                                                dimension: model.featureDimension),
                                              errors: rows.errors))
            featurized += rows.paths.count
            errors += rows.errors
            partsWritten += 1
            rows = PartAccumulator()
            do { try checkErrorLimit(errors) } catch {
                progress.finish()
                throw error
            }
        }
        func timedDevice<T>(_ body: () throws -> T) rethrows -> T {
            let deviceStart = Date()
            defer { times.device += Date().timeIntervalSince(deviceStart) }
            return try body()
        }
        let loopStart = Date()
        while let batch = queue.pop() {
            if let fatal = batch.fatal {
                // What is in flight is finished and committed first: nothing done is lost.
                for (done, features) in try timedDevice({ try engine.flush() }) { try finish(done, features) }
                throw PipelineError("\(fatal)")
            }
            for (done, features) in try timedDevice({ try engine.submit(batch, observer: observer) }) { try finish(done, features) }
        }
        for (done, features) in try timedDevice({ try engine.flush() }) { try finish(done, features) }
        let waits = queue.waitSeconds
        let feeding = Feeding(deviceWaitedForInput: waits.pop, decodeWaitedForDevice: waits.push,
                              seconds: Date().timeIntervalSince(loopStart), batch: batchSize,
                              hostWaitedForDevice: engine.vulkan?.deviceWaitSeconds)
        writerFinished = true
        times.write = try writer.finish()
        do { try statistics.merge(try observer.statistics()) } catch {
            throw PipelineError("PCA statistics gathered on \(engine.name): \(error)")
        }
        progress.finish()
        times.decode = decodeTime.value
        times.total = Date().timeIntervalSince(started)
        return FeaturizeOutcome(layout: layout, model: model, deviceName: engine.name, deviceChoice: engine.choiceNote,
                                listed: items.count, duplicates: listing.duplicates,
                                featurized: featurized, errors: errors, partsWritten: partsWritten,
                                partsResumed: committed.count, imagesResumed: resumedImages, statistics: statistics,
                                statisticsGatheredOn: observer.gatheredOn, times: times, feeding: feeding,
                                fastPaths: FastPathReport(engine.vulkan))
    }
}

extension Featurizer {
    /// Throws once more inputs than `--max-errors` were unusable, naming the first.
    func checkErrorLimit(_ errors: [ErrorRow]) throws {
        guard let limit = options.maxErrors, errors.count > limit, let first = errors.first else { return }
        throw PipelineError("stopped after \(errors.count) unusable inputs (more than --max-errors \(limit)); "
                            + "the first: \(first.path): \(first.message)")
    }
}
