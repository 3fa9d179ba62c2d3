import Foundation

/// The self-check verdicts on disk (`KeyedJSONFolder`): a file that cannot be read counts as absent (the
/// check runs again), and a cache that cannot be written never stops a run.
public enum VulkanSelfCheckCache {
    static func load(key: String, in folder: URL) -> VulkanSelfCheckVerdict? {
        guard case .found(let verdict) = KeyedJSONFolder<VulkanSelfCheckVerdict>(folder: folder).load(key: key, what: "verdict")
        else { return nil }
        return verdict
    }

    /// Writes `verdict`; returns the file, or nil when the folder is not writable.
    @discardableResult
    static func save(_ verdict: VulkanSelfCheckVerdict, key: String, in folder: URL) -> URL? {
        KeyedJSONFolder(folder: folder).save(verdict, key: key)
    }

    /// Every readable verdict in `folder` (none when it does not exist), oldest first.
    public static func all(in folder: URL) -> [VulkanSelfCheckVerdict] {
        KeyedJSONFolder<VulkanSelfCheckVerdict>(folder: folder).all(by: \.checkedAt)
    }
}
