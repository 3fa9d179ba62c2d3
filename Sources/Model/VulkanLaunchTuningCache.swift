import Foundation

/// The launch-tuning records on disk (`KeyedJSONFolder`), as the self-check keeps its verdicts. A file that
/// cannot be read or decoded is ignored with a one-line note (the timing runs again and replaces it); a
/// folder that cannot be written never stops a run.
public enum VulkanLaunchTuningCache {
    /// What a lookup found.
    enum Lookup {
        case absent
        case found(VulkanLaunchTuningRecord)
        /// The file exists but is unreadable or corrupt: the note says which and why.
        case unreadable(String)
    }

    static func load(key: String, in folder: URL) -> Lookup {
        switch KeyedJSONFolder<VulkanLaunchTuningRecord>(folder: folder).load(key: key, what: "launch-tuning record") {
        case .absent: .absent
        case .found(let record): .found(record)
        case .unreadable(let file, let why): .unreadable("\(file.path): cached launch tuning ignored (\(why)); measuring again")
        }
    }

    /// Writes `record`; returns the file, or nil when the folder is not writable.
    @discardableResult
    static func save(_ record: VulkanLaunchTuningRecord, key: String, in folder: URL) -> URL? {
        KeyedJSONFolder(folder: folder).save(record, key: key)
    }

    /// Every readable record in `folder` (none when it does not exist), oldest first.
    public static func all(in folder: URL) -> [VulkanLaunchTuningRecord] {
        KeyedJSONFolder<VulkanLaunchTuningRecord>(folder: folder).all(by: \.measuredAt)
    }
}
