#if canImport(Glibc)
import Glibc
// The C calls by module-qualified name: FileSink's own `write` and `close` would shadow them.
private let systemWrite = Glibc.write
private let systemClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemClose = Darwin.close
#endif

/// An append-only file that counts the bytes written (column offsets in the footer need them).
final class FileSink {
    let path: String
    private var fd: Int32
    private(set) var offset: Int64 = 0

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ParquetError(file: path, "cannot create: \(String(cString: strerror(errno)))") }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ raw: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < raw.count {
            let n = systemWrite(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ParquetError(file: path, "write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        offset += Int64(raw.count)
    }

    /// Flushes to stable storage and closes; the file is complete after this returns.
    func close(sync: Bool) throws {
        guard fd >= 0 else { return }
        defer { fd = -1 }
        if sync && fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            _ = systemClose(fd)
            throw ParquetError(file: path, "fsync failed: \(reason)")
        }
        guard systemClose(fd) == 0 else {
            throw ParquetError(file: path, "close failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit { if fd >= 0 { _ = systemClose(fd) } }
}
