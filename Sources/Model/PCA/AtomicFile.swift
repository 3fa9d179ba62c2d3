import Foundation

/// Writes a file so that readers never see a partial one: a temporary name in the same folder,
/// then rename(2), which replaces the final name atomically.
enum AtomicFile {
    static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString)")
        if let failure = writeNew(data, to: temp.path) {
            // A partial temporary file (disk full) must not stay behind and keep the disk full.
            unlink(temp.path)
            throw PCAError.badFile(path: url.path, reason: "cannot write: \(String(cString: strerror(failure)))")
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temp.path)
            throw PCAError.badFile(path: url.path, reason: "cannot rename temporary file into place: \(reason)")
        }
    }

    /// Writes `data` to the new file `path` with write(2), so a failure keeps errno's cause (Foundation's
    /// `Data.write` reports only "NSCocoaErrorDomain error 512" on Linux); nil on success.
    private static func writeNew(_ data: Data, to path: String) -> Int32? {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return errno }
        var failure: Int32?
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let wrote = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if wrote < 0 && errno == EINTR { continue }
                guard wrote > 0 else { failure = wrote < 0 ? errno : EIO; return }
                done += wrote
            }
        }
        if close(fd) != 0 && failure == nil { failure = errno }
        return failure
    }
}
