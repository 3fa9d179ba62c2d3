import Foundation

/// The recursive walk of a local INPUT folder, as `find -L` does it: symbolic links to files and
/// folders are followed, a link back to one of its own ancestors is reported instead of walked
/// forever, and whatever cannot be opened becomes a `ListingProblem` rather than being skipped.
/// Hidden entries (names starting with `.`) are skipped, as before.
struct LocalWalk {
    let filter: GlobFilter
    private(set) var items: [InputItem] = []
    private(set) var problems: [ListingProblem] = []

    init(filter: GlobFilter) { self.filter = filter }

    /// Walks `root`, a folder that exists; throws when the root itself cannot be listed.
    mutating func walk(root: String) throws {
        var info = stat()
        guard stat(root, &info) == 0 else { throw StorageError(root, "cannot read the folder (\(Self.reason()))", fatal: true) }
        guard let directory = opendir(root) else {
            throw StorageError(root, "cannot list the folder (\(Self.reason()))", fatal: true)
        }
        walkFolder(directory, path: root, ancestors: [FileID(info): root])
    }

    private mutating func walkFolder(_ directory: OpaquePointer, path: String, ancestors: [FileID: String]) {
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { problems.append(ListingProblem(path: path, stage: "list", message: "\(path): cannot list the folder (\(Self.reason()))")) }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        for name in names.sorted() {
            let full = path.hasSuffix("/") ? path + name : path + "/" + name
            var info = stat()
            guard stat(full, &info) == 0 else {
                let why = Self.reason()
                var link = stat()
                let dangling = lstat(full, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK
                let message = dangling ? "broken symbolic link (\(why))" : "cannot read (\(why))"
                problems.append(ListingProblem(path: full, stage: filter.matches(name) ? "read" : "list",
                                               message: "\(full): \(message)"))
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let id = FileID(info)
                if let ancestor = ancestors[id] {
                    problems.append(ListingProblem(path: full, stage: "list",
                                                   message: "\(full): symbolic link loop (leads back to \(ancestor)); not followed"))
                    continue
                }
                guard let sub = opendir(full) else {
                    problems.append(ListingProblem(path: full, stage: "list",
                                                   message: "\(full): cannot list the folder (\(Self.reason()))"))
                    continue
                }
                var inner = ancestors
                inner[id] = full
                walkFolder(sub, path: full, ancestors: inner)
            case S_IFREG:
                if filter.matches(name) { items.append(InputItem(path: full)) }
            default:
                if filter.matches(name) {
                    problems.append(ListingProblem(path: full, stage: "read",
                                                   message: "\(full): not a regular file (\(Self.kind(info.st_mode)))"))
                }
            }
        }
    }

    static func reason() -> String { String(cString: strerror(errno)) }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a folder"
        default: return "not a plain file"
        }
    }
}

/// A file's identity on this machine, for loop detection.
struct FileID: Hashable {
    var device: UInt64
    var inode: UInt64
    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
