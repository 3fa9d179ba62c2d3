import Common
import Foundation

/// A folder of JSON records, one file per key (named by two FNV-1a hashes of the key), written atomically:
/// the on-disk form of the self-check verdicts and of the launch-tuning records. A folder that cannot be
/// written never stops a run.
struct KeyedJSONFolder<Record: Codable> {
    let folder: URL

    /// What a lookup found.
    enum Lookup {
        case absent
        case found(Record)
        /// The file exists but cannot be read or decoded: `why` says which.
        case unreadable(file: URL, why: String)
    }

    /// The file `key` is kept in.
    func file(for key: String) -> URL {
        var a = FNV1a(), b = FNV1a(offset: 0x8422_2325_cbf2_9ce4)
        a.add(key)
        b.add(key)
        return folder.appendingPathComponent("\(a.hex)\(b.hex).json")
    }

    /// The record kept for `key`; `what` names the record kind in the reason a corrupt file gets.
    func load(key: String, what: String) -> Lookup {
        let target = file(for: key)
        guard FileManager.default.fileExists(atPath: target.path) else { return .absent }
        do {
            return .found(try JSONDecoder().decode(Record.self, from: Data(contentsOf: target)))
        } catch {
            return .unreadable(file: target, why: error is DecodingError ? "not a \(what)" : error.localizedDescription)
        }
    }

    /// Writes `record`; returns the file, or nil when the folder is not writable.
    @discardableResult
    func save(_ record: Record, key: String) -> URL? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(record) else { return nil }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let target = file(for: key)
            try AtomicFile.write(data, to: target)
            return target
        } catch {
            return nil
        }
    }

    /// Every readable record in the folder (none when it does not exist), ordered by `date` (oldest first).
    func all(by date: (Record) -> String) -> [Record] {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }
            .compactMap { try? JSONDecoder().decode(Record.self, from: Data(contentsOf: $0)) }
            .sorted { date($0) < date($1) }
    }
}
