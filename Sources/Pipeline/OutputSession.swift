import Foundation
import Storage

/// An output folder opened by one featurizing command: imgfeat's own (or new, or empty), locked
/// against a second writer for as long as this object lives, cleared by `--overwrite`, and swept of
/// the temporary files an interrupted attempt left.
final class OutputSession {
    let target: OutputTarget
    let layout: OutputLayout
    private let lock: OutputLock

    /// What the folder holds for the job about to run.
    enum State {
        /// Nothing finished: featurize, resuming after any committed parts.
        case fresh
        /// The same job finished: nothing to do.
        case complete(RunSummary)
        /// The same featurization finished with other PCA settings: refit from the stored statistics.
        case refit(RunSummary, RunManifest)
        /// The same, for an `s3://` output finished on S3 (or whose refit there was interrupted): refit
        /// from the statistics object and replace the PCA objects.
        case refitRemote(RunSummary, RunManifest)
    }

    /// Whether this command made the output folder (so it may remove it again if it wrote nothing).
    private let createdRoot: Bool

    init(target: OutputTarget, layout: OutputLayout, options: RunOptions, overwrite: Bool) throws {
        self.target = target
        self.layout = layout
        try Self.refuseForeignFolder(layout.root, output: options.output)
        createdRoot = !FileManager.default.fileExists(atPath: layout.root.path)
        lock = try OutputLock(state: layout.state, output: options.output)
        if overwrite { try clear(options.storage) }
        OutputFiles.sweepTemporaries(layout)
    }

    /// A command that stopped before writing anything (an option refused, another job's output)
    /// leaves no folder holding only its lock behind; the lock itself is released after this.
    deinit {
        let manager = FileManager.default
        guard (try? manager.contentsOfDirectory(atPath: layout.state.path)) == ["lock"],
              (try? manager.contentsOfDirectory(atPath: layout.root.path)) == ["_imgfeat"] else { return }
        try? manager.removeItem(at: layout.state)
        if target.remote != nil { target.discardStaging() } else if createdRoot { rmdir(layout.root.path) }
    }

    /// A folder that exists, is not empty and has no `_imgfeat/` is someone else's: never written into.
    private static func refuseForeignFolder(_ root: URL, output: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw PipelineError("--output \(output): exists and is not a folder") }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root.path) else {
            throw PipelineError("--output \(output): cannot list the folder (\(describeAccess(root.path)))")
        }
        guard entries.isEmpty || entries.contains("_imgfeat") else {
            throw PipelineError("--output \(output): the folder is not empty and holds no imgfeat output "
                                + "(\(entries.count) entries, e.g. \(entries.sorted()[0])); choose a new or empty folder")
        }
    }

    /// `--overwrite`: removes imgfeat's files from OUT (and from an `s3://` OUT), nothing else.
    private func clear(_ storage: StorageConfig) throws {
        try OutputFiles.removeImgfeatFiles(layout)
        if let remote = target.remote {
            do {
                try ObjectStore(config: storage).delete(under: remote) { OutputFiles.isImgfeatFile(relative: $0) }
            } catch {
                throw PipelineError("--overwrite: cannot clear \(remote): \(PipelineError.line(for: error))")
            }
        }
    }

    /// Compares `job` with what the folder (or the remote output) records, and says what to do.
    func state(for job: JobIdentity, output: String, storage: StorageConfig) throws -> State {
        var manifest = try RunManifest.load(layout)
        let localFinished = FileManager.default.fileExists(atPath: layout.success.path)
        var remote: (summary: RunSummary?, manifest: RunManifest?)?
        if !localFinished, let finished = try target.remoteFinished(layout, storage) {
            remote = finished
            manifest = finished.manifest
        }
        // The job first: another command's output has its summary under another name.
        if let manifest {
            let differences = manifest.job.featurizationDifferences(from: job)
            guard differences.isEmpty else {
                throw PipelineError("\(output) holds the output of another job (\(differences.joined(separator: "; "))); "
                                    + "choose another --output or add --overwrite to replace it")
            }
        }
        guard localFinished || remote != nil else { return .fresh }
        var summary: RunSummary
        if localFinished {
            guard let data = try? Data(contentsOf: layout.summary),
                  let local = try? JSONDecoder().decode(RunSummary.self, from: data) else {
                throw PipelineError("\(output) has _SUCCESS but no readable \(layout.summary.lastPathComponent); "
                                    + "choose another --output or add --overwrite")
            }
            summary = local
        } else if let remoteSummary = remote?.summary {
            summary = remoteSummary
        } else {
            throw PipelineError("\(output) has _SUCCESS but no readable \(layout.summary.lastPathComponent); "
                                + "choose another --output or add --overwrite")
        }
        guard let manifest else {
            throw PipelineError("\(output) holds a finished output without its job record (_imgfeat/run.json); "
                                + "choose another --output or add --overwrite to replace it")
        }
        if manifest.job.samePCA(as: job) && manifest.pcaRefitPending != true {
            // A finished local copy of an s3:// output whose upload failed is uploaded now.
            if localFinished { try target.publish(storage) } else { target.discardStaging() }
            summary.alreadyComplete = true
            return .complete(summary)
        }
        return localFinished ? .refit(summary, manifest) : .refitRemote(summary, manifest)
    }
}
