import Foundation

/// Lists the images of an input source, sorted by path so that every run and every shard sees the
/// same order.
public enum Listing {
    /// Whether a file name is one the notebook would read: `*.jpg` or `*.jpeg`, any case.
    public static func isImageName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")
    }

    /// Every file of `source` whose name passes `filter` (default: `*.jpg`/`*.jpeg`, any case), sorted
    /// by path. S3 prefixes are listed recursively; `@FILE` lists are taken as they are.
    public static func items(of source: InputSource, config: StorageConfig,
                             filter: GlobFilter = .images) throws -> [InputItem] {
        switch source {
        case .localDirectory(let root):
            return try localItems(root: root, filter: filter)
        case .list(let file):
            return try listedItems(file: file)
        case .s3(let bucket, let prefix, let scheme):
            let client = try S3Client(config: config)
            return try client.listFolder(bucket: bucket, path: prefix)
                .filter { !$0.key.hasSuffix("/") && filter.matchesPath($0.key) }
                .map { InputItem(path: "\(scheme)://\(bucket)/\($0.key)") }
                .sorted { $0.path < $1.path }
        }
    }

    /// Recursively finds `*.jpg`/`*.jpeg` files under `root`, following no symlinked folders twice.
    static func localItems(root: String, filter: GlobFilter = .images) throws -> [InputItem] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw StorageError(root, "no such file or folder", fatal: true)
        }
        guard isDirectory.boolValue else {
            // A single file is a listing of one.
            return [InputItem(path: root)]
        }
        let base = URL(fileURLWithPath: root).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else {
            throw StorageError(root, "cannot read the folder", fatal: true)
        }
        var items: [InputItem] = []
        for case let url as URL in walker where filter.matches(url.lastPathComponent) {
            let regular = (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) ?? false
            if regular { items.append(InputItem(path: url.path)) }
        }
        return items.sorted { $0.path < $1.path }
    }

    /// One path or URL per line; blank lines and lines starting with `#` are skipped.
    static func listedItems(file: String) throws -> [InputItem] {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw StorageError(file, "cannot read the list file (\(error.localizedDescription))", fatal: true)
        }
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        return lines.map { InputItem(path: $0) }.sorted { $0.path < $1.path }
    }
}
