import Foundation

/// Writes a file so that readers never see a partial one: a temporary name in the same folder,
/// then rename(2), which replaces the final name atomically.
enum AtomicFile {
    static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString)")
        do {
            try data.write(to: temp)
        } catch {
            throw PCAError.badFile(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw PCAError.badFile(path: url.path, reason: "cannot rename temporary file into place: \(reason)")
        }
    }
}
