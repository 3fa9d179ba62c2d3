import Foundation

/// Which files of an output folder are imgfeat's (for `--overwrite`), the sweep of temporary files a
/// killed or failed attempt left, and file-system calls whose errors name the path and the cause
/// (errno's words, never `NSCocoaErrorDomain error 512`).
enum OutputFiles {
    /// Top-level files either command writes (run and featurize layouts both).
    static let names: Set<String> = [
        "pca-model.json", "pca-statistics.bin", "errors.parquet", "pca-scree.svg", "pca-scatter.svg", "pca-report.html",
        "summary.json", "_SUCCESS", "_errors.parquet", "_pca-statistics.bin", "_summary.json",
    ]

    static func isPart(_ name: String) -> Bool { name.hasPrefix("part-") && name.hasSuffix(".parquet") }

    /// What imgfeat writes in `features/` and `pca/`: parts, their `_SUCCESS`, temporary parts.
    static func isPartFolderFile(_ name: String) -> Bool { isPart(name) || isTemporary(name) || name == "_SUCCESS" }

    /// A temporary name of imgfeat's: hidden, with `.tmp` in it (parts, side files, the PCA staging folder).
    static func isTemporary(_ name: String) -> Bool { name.hasPrefix(".") && name.contains(".tmp") }

    /// Whether `relative` (a path under OUT, `/`-separated) is a file imgfeat writes.
    static func isImgfeatFile(relative: String) -> Bool {
        let parts = relative.split(separator: "/").map(String.init)
        guard let first = parts.first, let last = parts.last else { return false }
        if parts.count == 1 { return names.contains(first) || isPart(first) || isTemporary(first) }
        if first == "_imgfeat" { return true }
        if parts.count == 2 && (first == "features" || first == "pca") { return isPartFolderFile(last) }
        return false
    }

    /// Removes imgfeat's files from the output folder, keeping the lock (held by this process) and
    /// anything else that is there.
    static func removeImgfeatFiles(_ layout: OutputLayout) throws {
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: layout.root.path)) ?? [] {
            let url = layout.root.appendingPathComponent(name)
            if name == "features" || name == "pca" {
                for inner in (try? manager.contentsOfDirectory(atPath: url.path)) ?? [] where isPartFolderFile(inner) {
                    try remove(url.appendingPathComponent(inner))
                }
                if ((try? manager.contentsOfDirectory(atPath: url.path)) ?? ["?"]).isEmpty { try remove(url) }
            } else if name == "_imgfeat" {
                for inner in (try? manager.contentsOfDirectory(atPath: url.path)) ?? [] where inner != "lock" {
                    try remove(url.appendingPathComponent(inner))
                }
            } else if isImgfeatFile(relative: name) {
                try remove(url)
            }
        }
    }

    /// Removes the temporary files and folders that an attempt killed or failed mid-write left; the
    /// caller holds the output's lock, so no other writer is using them.
    static func sweepTemporaries(_ layout: OutputLayout) {
        for folder in Set([layout.root, layout.featuresDirectory, layout.pcaDirectory, layout.state]) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where isTemporary(name) {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }

    static func remove(_ url: URL) throws {
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw PipelineError("\(url.path): cannot remove (\(describeAccess(url.path)))")
        }
    }

    /// `mkdir -p` with an error that names the component that could not be made and why.
    static func createFolder(_ url: URL) throws {
        var path = ""
        for component in url.standardizedFileURL.path.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o755) == 0 { continue }
            let code = errno
            var info = stat()
            if code == EEXIST, stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { continue }
            let why = code == EEXIST ? "\(path) exists and is not a folder" : "\(path): \(String(cString: strerror(code)))"
            throw PipelineError("\(url.path): cannot create the folder (\(why))")
        }
    }

    /// Writes `data` to a new file `url` (which must not exist), errno's words on failure; a partial
    /// file is removed.
    static func writeNew(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError("\(url.path): cannot create (\(String(cString: strerror(errno))))") }
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let wrote = write(fd, raw.baseAddress! + done, raw.count - done)
                if wrote < 0 && errno == EINTR { continue }
                guard wrote > 0 else { failure = wrote < 0 ? errno : EIO; return }
                done += wrote
            }
        }
        if close(fd) != 0 && failure == 0 { failure = errno }
        guard failure == 0 else {
            unlink(url.path)
            throw PipelineError("\(url.path): cannot write (\(String(cString: strerror(failure))))")
        }
    }
}

/// Why `path` cannot be used, in errno's words: the first missing, non-folder or inaccessible component.
func describeAccess(_ path: String) -> String {
    var info = stat()
    if stat(path, &info) == 0 {
        return access(path, R_OK | W_OK) == 0 ? "unknown cause" : "permission denied"
    }
    return String(cString: strerror(errno))
}
