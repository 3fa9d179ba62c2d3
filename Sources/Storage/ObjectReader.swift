import Foundation

/// Reads the bytes of one input object.
public enum ObjectReader {
    /// Largest object read into memory; larger files are refused instead of exhausting memory.
    public static let maxObjectBytes = 256 << 20

    /// The bytes of the local file `path`.
    public static func readLocal(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(path, openFailure(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StorageError(path, "cannot read (\(String(cString: strerror(errno))))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StorageError(path, "not a regular file (\(LocalWalk.kind(info.st_mode)))")
        }
        let size = Int(info.st_size)
        guard size <= maxObjectBytes else {
            throw StorageError(path, "file is \(size) bytes, over the \(maxObjectBytes)-byte limit")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, size - filled) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw StorageError(path, "read failed (\(String(cString: strerror(errno))))") }
            if got == 0 { break }  // shrank while being read: what is there is what it holds now
            filled += got
        }
        if filled < size { bytes.removeSubrange(filled...) }
        return bytes
    }

    private static func openFailure(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES: return "permission denied"
        case ELOOP: return "symbolic link loop"
        default: return "cannot open (\(String(cString: strerror(code))))"
        }
    }
}
