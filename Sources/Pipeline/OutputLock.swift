import Foundation

/// The one-writer rule of an output folder: an exclusive advisory lock (flock(2)) on
/// `OUT/_imgfeat/lock`, held for the whole command. The kernel drops it when the process ends in any
/// way, `kill -9` included, so a restart never finds a stale lock; a second writer is refused at once.
public final class OutputLock {
    private let descriptor: Int32
    /// The lock file.
    public let url: URL

    /// Takes the lock of the state folder `state` (created if missing), or throws naming the holder.
    public init(state: URL, output: String) throws {
        try createDirectory(state)
        url = state.appendingPathComponent("lock")
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PipelineError("\(url.path): cannot open the output lock (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.holder(fd)
            close(fd)
            guard reason == EWOULDBLOCK else {
                throw PipelineError("\(url.path): cannot lock the output (\(String(cString: strerror(reason))))")
            }
            throw PipelineError("\(output) is in use by another imgfeat (\(holder ?? "holder unknown")); "
                                + "wait for it to finish or choose another --output")
        }
        descriptor = fd
        // Who holds it, for the message a second writer gets; the lock, not this text, is the rule.
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let started = ISO8601DateFormatter().string(from: Date())
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let text = "pid \(getpid()) on \(hostName), since \(started)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(descriptor) }

    private static func holder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
