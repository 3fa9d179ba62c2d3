import Common
import Foundation
import Parquet

/// The writer stage: commits finished parts on its own thread (errors side file first, then the
/// Parquet part by rename), one part behind the device stage, so the engine never waits on the disk.
final class PartWriter: @unchecked Sendable {
    struct Part: @unchecked Sendable {
        var index: Int
        var rows: FeatureRows
        var errors: [ErrorRow]
    }

    private let queue = BoundedQueue<Part>(capacity: 1)
    private let done = DispatchSemaphore(value: 0)
    private let failure = LockedValue<Error?>(nil)
    private let busy = LockedValue(0.0)

    init(output: PartitionedOutput, layout: OutputLayout) {
        Thread.detachNewThread { [queue, done, failure, busy] in
            defer { done.signal() }
            while let part = queue.pop() {
                let start = Date()
                do {
                    try AtomicFile.write(try JSONEncoder.pretty.encode(part.errors), to: layout.partErrors(part.index))
                    try output.writePart(index: part.index, rows: part.rows)
                } catch {
                    failure.update { $0 = error }
                    queue.close()
                    return
                }
                busy.update { $0 += Date().timeIntervalSince(start) }
            }
        }
    }

    /// Hands a finished part to the writer; throws the writer's failure, if an earlier part failed.
    func submit(_ part: Part) throws {
        if let error = failure.value { throw error }
        if !queue.push(part), let error = failure.value { throw error }
    }

    /// Waits until every submitted part is committed; returns the seconds spent writing.
    func finish() throws -> Double {
        queue.close()
        done.wait()
        if let error = failure.value { throw error }
        return busy.value
    }

    /// Stops without waiting for an error: used when the run is already failing.
    func abandon() {
        queue.close()
        done.wait()
    }
}
