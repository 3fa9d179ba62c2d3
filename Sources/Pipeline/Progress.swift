import Foundation

/// Reports progress on standard error: updated in place on a terminal, periodic plain lines otherwise.
public final class ProgressReporter: @unchecked Sendable {
    private let total: Int
    private let quiet: Bool
    private let isTerminal: Bool
    private let start = Date()
    private var lastPrint = Date.distantPast
    /// `done` when the last line was printed: off a terminal, `finish` adds no line that says the same count again.
    private var printedDone: Int?
    private let lock = NSLock()
    private(set) public var done = 0
    private(set) public var errors = 0

    public init(total: Int, quiet: Bool, alreadyDone: Int = 0) {
        self.total = total
        self.quiet = quiet
        self.isTerminal = isatty(STDERR_FILENO) != 0
        self.done = alreadyDone
        self.baseline = alreadyDone
    }

    private let baseline: Int

    /// Records `images` more inputs handled, `failed` of which were errors.
    public func advance(images: Int, failed: Int) {
        lock.lock()
        done += images
        errors += failed
        let now = Date()
        let interval: TimeInterval = isTerminal ? 0.25 : 10
        let due = now.timeIntervalSince(lastPrint) >= interval
        if due { lastPrint = now }
        let line = due ? statusLine(now: now) : nil
        if due { printedDone = done }
        lock.unlock()
        if let line, !quiet { emit(line, final: false) }
    }

    /// Prints the last status line (and ends the in-place line on a terminal); off a terminal, only where
    /// the count moved since the last line.
    public func finish() {
        lock.lock()
        let repeated = !isTerminal && printedDone == done
        printedDone = done
        let line = statusLine(now: Date())
        lock.unlock()
        if !quiet && !repeated { emit(line, final: true) }
    }

    private func statusLine(now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(start), 1e-3)
        let rate = Double(done - baseline) / elapsed
        let remaining = rate > 0 ? Double(total - done) / rate : .infinity
        let eta = remaining.isFinite ? Self.duration(remaining) : "--"
        return "\(done)/\(total) images, \(String(format: "%.1f", rate)) img/s, ETA \(eta), \(errors) errors"
    }

    private func emit(_ line: String, final: Bool) {
        let text = isTerminal ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s / 60 % 60))m"
            : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
