import Common
import Foundation

/// The launch-tuning records on disk, as the self-check keeps its verdicts: one JSON file per key in one
/// folder, written atomically. A file that cannot be read or decoded is ignored with a one-line note (the
/// timing runs again and replaces it); a folder that cannot be written never stops a run.
public enum VulkanLaunchTuningCache {
    /// What a lookup found.
    enum Lookup {
        case absent
        case found(VulkanLaunchTuningRecord)
        /// The file exists but is unreadable or corrupt: the note says which and why.
        case unreadable(String)
    }

    /// The file `key` is kept in.
    static func file(for key: String, in folder: URL) -> URL {
        var a = FNV1a(), b = FNV1a(offset: 0x8422_2325_cbf2_9ce4)
        a.add(key)
        b.add(key)
        return folder.appendingPathComponent("\(a.hex)\(b.hex).json")
    }

    static func load(key: String, in folder: URL) -> Lookup {
        let target = file(for: key, in: folder)
        guard FileManager.default.fileExists(atPath: target.path) else { return .absent }
        do {
            return .found(try JSONDecoder().decode(VulkanLaunchTuningRecord.self, from: Data(contentsOf: target)))
        } catch {
            let why = (error as? DecodingError).map { _ in "not a launch-tuning record" } ?? error.localizedDescription
            return .unreadable("\(target.path): cached launch tuning ignored (\(why)); measuring again")
        }
    }

    /// Writes `record`; returns the file, or nil when the folder is not writable.
    @discardableResult
    static func save(_ record: VulkanLaunchTuningRecord, key: String, in folder: URL) -> URL? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(record) else { return nil }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let target = file(for: key, in: folder)
            try AtomicFile.write(data, to: target)
            return target
        } catch {
            return nil
        }
    }

    /// Every readable record in `folder` (none when it does not exist), oldest first.
    public static func all(in folder: URL) -> [VulkanLaunchTuningRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }
            .compactMap { try? JSONDecoder().decode(VulkanLaunchTuningRecord.self, from: Data(contentsOf: $0)) }
            .sorted { $0.measuredAt < $1.measuredAt }
    }
}
