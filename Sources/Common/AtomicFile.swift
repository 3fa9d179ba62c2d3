import Foundation

/// Writes a file so that readers never see a partial one: a temporary name in the same folder,
/// then rename(2), which replaces the final name atomically.
public enum AtomicFile {
    /// Writes `data` to `url` through a temporary file and a rename.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString)")
        do {
            try data.write(to: temp)
        } catch {
            throw AtomicFileError(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw AtomicFileError(path: url.path, reason: "cannot rename temporary file into place: \(reason)")
        }
    }
}

/// Why `AtomicFile` could not put a file in place.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}
