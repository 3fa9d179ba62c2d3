import Common
import Foundation
import Storage

/// What a run was started with, kept in `OUT/_imgfeat/run.json`: the job (so a finished output is done
/// only for the same job) and the listing and part size (so a restarted run can prove it continues the
/// same work before it skips committed parts).
struct RunManifest: Codable, Equatable {
    var format = "imgfeat-run"
    var version = 2
    var job: JobIdentity
    var partRows: Int
    var itemCount: Int
    /// FNV-1a of the sorted listing: a changed bucket must not be resumed into mismatched parts.
    var listingDigest: String
    /// The unique part of the part file names, kept across restarts.
    var runID: String
    /// Set while an `s3://` output's PCA is being refitted in place: whatever `job` says, the next run
    /// refits it again (nil, left out of the file, when no refit is under way).
    var pcaRefitPending: Bool?

    static func digest(of items: [InputItem]) -> String {
        var hash = FNV1a()
        for item in items {
            hash.add(item.path)
            hash.add(0x0A)
        }
        return hash.hex
    }

    /// Loads the manifest of an earlier run in `layout`, if any.
    static func load(_ layout: OutputLayout) throws -> RunManifest? {
        guard let data = try? Data(contentsOf: layout.manifest) else { return nil }
        return try decode(data, name: layout.manifest.path)
    }

    static func decode(_ data: Data, name: String) throws -> RunManifest {
        do {
            return try JSONDecoder().decode(RunManifest.self, from: data)
        } catch {
            throw PipelineError("\(name): unreadable run manifest (written by another imgfeat version?); "
                                + "choose another --output or add --overwrite")
        }
    }

    func save(_ layout: OutputLayout) throws {
        try AtomicFile.write(try encoded(), to: layout.manifest)
    }

    /// The file's bytes, as `save` writes them and an `s3://` output stores them.
    func encoded() throws -> Data { try JSONEncoder.pretty.encode(self) }

    /// Throws unless `self` (the earlier, unfinished run) describes the same work as `current`.
    func checkResumable(as current: RunManifest, in layout: OutputLayout) throws {
        var differences = job.featurizationDifferences(from: current.job)
        if partRows != current.partRows { differences.append("part size \(partRows) vs \(current.partRows)") }
        if listingDigest != current.listingDigest || itemCount != current.itemCount {
            differences.append("the input listing changed (\(itemCount) vs \(current.itemCount) images)")
        }
        guard differences.isEmpty else {
            throw PipelineError("\(layout.root.path) holds an unfinished run with other settings (\(differences.joined(separator: "; "))); "
                                + "resume it with the same command, choose another --output, or add --overwrite")
        }
    }
}
