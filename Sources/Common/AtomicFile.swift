import Foundation

/// Writes files so that readers never see a partial one: everything is written under a hidden
/// temporary name in the same folder (`.NAME.UUID.tmp`, skipped by Spark and by imgfeat's readers),
/// then renamed with rename(2), which replaces the final name atomically (Foundation's
/// `replaceItemAt` does not, on Linux).
public enum AtomicFile {
    /// A fresh hidden temporary name beside `url`.
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    }

    /// Renames the finished `temporary` to `url`, replacing what was there; removes `temporary` on failure.
    public static func moveIntoPlace(_ temporary: URL, to url: URL) throws {
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw AtomicFileError(path: url.path, reason: "cannot rename the temporary file into place (\(reason))")
        }
    }

    /// Lets `body` write the temporary file it is given, then moves it into place at `url`; when
    /// `body` throws, the temporary file is removed and the error passed on.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        let temporary = temporaryURL(for: url)
        do {
            try body(temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        try moveIntoPlace(temporary, to: url)
    }

    /// Writes `data` to `url` through a temporary file and a rename.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temporary in
            // write(2), not Data.write: its failure keeps errno's cause (Foundation reports only
            // "NSCocoaErrorDomain error 512" on Linux); the partial file is removed by write(to:).
            if let failure = writeNew(data, to: temporary.path) {
                throw AtomicFileError(path: url.path, reason: "cannot write (\(String(cString: strerror(failure))))")
            }
        }
    }

    /// Writes `data` to the new file `path`; errno on failure, nil on success.
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
