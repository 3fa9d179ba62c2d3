import Common
import Foundation

/// The self-check verdicts on disk: one JSON file per key in one folder, written atomically; a file that
/// cannot be read counts as absent (the check runs again), and a cache that cannot be written never stops a run.
public enum VulkanSelfCheckCache {
    /// The file `key` is kept in.
    static func file(for key: String, in folder: URL) -> URL {
        var a = FNV1a(), b = FNV1a(offset: 0x8422_2325_cbf2_9ce4)
        a.add(key)
        b.add(key)
        return folder.appendingPathComponent("\(a.hex)\(b.hex).json")
    }

    static func load(key: String, in folder: URL) -> VulkanSelfCheckVerdict? {
        guard let data = try? Data(contentsOf: file(for: key, in: folder)) else { return nil }
        return try? JSONDecoder().decode(VulkanSelfCheckVerdict.self, from: data)
    }

    /// Writes `verdict`; returns the file, or nil when the folder is not writable.
    @discardableResult
    static func save(_ verdict: VulkanSelfCheckVerdict, key: String, in folder: URL) -> URL? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(verdict) else { return nil }
        let target = file(for: key, in: folder)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try AtomicFile.write(data, to: target)
            return target
        } catch {
            return nil
        }
    }

    /// Every readable verdict in `folder` (none when it does not exist), oldest first.
    public static func all(in folder: URL) -> [VulkanSelfCheckVerdict] {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }
            .compactMap { try? JSONDecoder().decode(VulkanSelfCheckVerdict.self, from: Data(contentsOf: $0)) }
            .sorted { $0.checkedAt < $1.checkedAt }
    }
}
