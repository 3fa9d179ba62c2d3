import Common
import Foundation
import Storage

/// What a run was started with, kept in the output folder so that a restarted run can prove it is
/// continuing the same work (same listing, same parts, same model) before it skips committed parts.
struct RunManifest: Codable, Equatable {
    var format = "imgfeat-run"
    var version = 1
    var input: String
    var shard: String
    var partRows: Int
    var itemCount: Int
    /// FNV-1a of the sorted listing: a changed bucket must not be resumed into mismatched parts.
    var listingDigest: String
    var weights: String
    var alpha: Double
    var inputSize: Int
    /// JPEG draft mode (other pixels than a full decode); absent in manifests of earlier versions.
    var draft: Bool?
    /// The unique part of the part file names, kept across restarts.
    var runID: String

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
        do {
            return try JSONDecoder().decode(RunManifest.self, from: data)
        } catch {
            throw PipelineError("\(layout.manifest.path): unreadable run manifest (\(error)); use a fresh --output")
        }
    }

    /// Throws unless `self` (the earlier run) describes the same work as `current`.
    func checkResumable(as current: RunManifest, in layout: OutputLayout) throws {
        var differences: [String] = []
        if input != current.input { differences.append("input \(input) vs \(current.input)") }
        if shard != current.shard { differences.append("shard \(shard) vs \(current.shard)") }
        if partRows != current.partRows { differences.append("part size \(partRows) vs \(current.partRows)") }
        if listingDigest != current.listingDigest || itemCount != current.itemCount {
            differences.append("the input listing changed (\(itemCount) vs \(current.itemCount) images)")
        }
        if weights != current.weights { differences.append("weights \(weights) vs \(current.weights)") }
        if alpha != current.alpha || inputSize != current.inputSize {
            differences.append("model alpha \(alpha)/size \(inputSize) vs \(current.alpha)/\(current.inputSize)")
        }
        if (draft ?? false) != (current.draft ?? false) {
            differences.append("--draft \(draft ?? false ? "on" : "off") vs \(current.draft ?? false ? "on" : "off")")
        }
        guard differences.isEmpty else {
            throw PipelineError("\(layout.root.path) holds an unfinished run with other settings (\(differences.joined(separator: "; "))); resume it with the same command or choose another --output")
        }
    }
}
