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
        try scan(source, config: config, filter: filter).items
    }

    /// The images of `source` and everything the listing had to leave out (folders it could not
    /// open, broken or looping links, special files, repeated lines of a list).
    public static func scan(_ source: InputSource, config: StorageConfig,
                            filter: GlobFilter = .images) throws -> ListingResult {
        switch source {
        case .localDirectory(let root):
            return try localScan(root: root, filter: filter)
        case .list(let file):
            return try listedItems(file: file)
        case .s3(let bucket, let prefix, let scheme):
            let client = try S3Client(config: config)
            return ListingResult(items: try client.listFolder(bucket: bucket, path: prefix)
                .filter { !$0.key.hasSuffix("/") && filter.matchesPath($0.key) }
                .map { InputItem(path: "\(scheme)://\(bucket)/\($0.key)") }
                .sorted { $0.path < $1.path })
        }
    }

    /// Recursively finds `*.jpg`/`*.jpeg` files under `root`, following symbolic links (`LocalWalk`).
    static func localItems(root: String, filter: GlobFilter = .images) throws -> [InputItem] {
        try localScan(root: root, filter: filter).items
    }

    static func localScan(root: String, filter: GlobFilter) throws -> ListingResult {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw StorageError(root, "no such file or folder", fatal: true)
        }
        guard isDirectory.boolValue else {
            // A single file is a listing of one.
            return ListingResult(items: [InputItem(path: root)])
        }
        var walk = LocalWalk(filter: filter)
        try walk.walk(root: URL(fileURLWithPath: root).standardizedFileURL.path)
        return ListingResult(items: walk.items.sorted { $0.path < $1.path }, problems: walk.problems)
    }

    /// One path or URL per line; blank lines and lines starting with `#` are skipped, a line that
    /// repeats an earlier one (by the path stored for it) is kept once and counted. URLs are stored
    /// without user info or signing parameters (`Redaction.publicURL`) and fetched as written.
    static func listedItems(file: String) throws -> ListingResult {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            var info = stat()
            let why = stat(file, &info) != 0 ? String(cString: strerror(errno))
                : (info.st_mode & S_IFMT) == S_IFDIR ? "it is a folder" : "not readable as UTF-8 text"
            throw StorageError(file, "cannot read the list file (\(why))", fatal: true)
        }
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        var seen = Set<String>()
        var items: [InputItem] = []
        for line in lines {
            let item = InputItem(path: Redaction.publicURL(line), location: line)
            if seen.insert(item.path).inserted { items.append(item) }
        }
        return ListingResult(items: items.sorted { $0.path < $1.path }, duplicates: lines.count - items.count)
    }
}
