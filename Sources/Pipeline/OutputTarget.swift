import Common
import Foundation
import Storage

/// Where a command's output goes: a local folder, or an `s3://` prefix, for which the run writes a
/// local staging folder (kept across restarts on this machine, so resume works the same way) and
/// uploads it when complete, `_SUCCESS` last.
struct OutputTarget {
    let local: URL
    let remote: String?

    init(_ output: String) {
        if S3Location.isS3(output) {
            local = FileManager.default.temporaryDirectory
                .appendingPathComponent("imgfeat-staging")
                .appendingPathComponent(FNV1a.hex(FNV1a.hash(output)))
            remote = output
        } else {
            local = URL(fileURLWithPath: output)
            remote = nil
        }
    }

    /// Uploads the finished local folder to the remote prefix, if there is one, then removes the
    /// staging copy (a whole run's features would otherwise stay in the temporary folder).
    func publish(_ storage: StorageConfig) throws {
        guard let remote else { return }
        do {
            try ObjectStore(config: storage).upload(localFolder: local.path, to: remote)
        } catch {
            throw PipelineError("uploading \(local.path) to \(remote) failed (the local copy is complete; rerun to retry): \(PipelineError.line(for: error))")
        }
        discardStaging()
    }

    /// Removes the local staging copy of a remote output, and `imgfeat-staging` itself once empty.
    func discardStaging() {
        guard remote != nil else { return }
        try? FileManager.default.removeItem(at: local)
        rmdir(local.deletingLastPathComponent().path)  // fails, harmlessly, while another output stages there
    }

    /// The summary and job record of a finished run already at the remote output (its `_SUCCESS`
    /// present), if any.
    func remoteFinished(_ layout: OutputLayout, _ storage: StorageConfig) throws
        -> (summary: RunSummary?, manifest: RunManifest?)? {
        guard let remote, let base = try? S3Location(parsing: remote) else { return nil }
        let fetcher = ObjectFetcher(storage)
        do {
            _ = try fetcher.fetch(base.appending(layout.success.lastPathComponent).description)
        } catch let error as StorageError where error.isFatal {
            throw PipelineError("\(remote): \(PipelineError.line(for: error))")
        } catch {
            return nil
        }
        let name = base.appending(layout.summary.lastPathComponent).description
        let summary = (try? fetcher.fetch(name)).flatMap { try? JSONDecoder().decode(RunSummary.self, from: Data($0)) }
        let manifestName = base.appending("_imgfeat/" + layout.manifest.lastPathComponent).description
        let manifest = try (try? fetcher.fetch(manifestName)).map { try RunManifest.decode(Data($0), name: manifestName) }
        return (summary, manifest)
    }
}
