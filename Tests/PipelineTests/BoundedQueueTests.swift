import Foundation
import Pipeline
import Testing

@Suite struct BoundedQueueTests {
    @Test func deliversEverythingInOrderAcrossThreads() {
        let queue = BoundedQueue<Int>(capacity: 2)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for i in 0..<1000 { queue.push(i) }
            queue.close()
            done.signal()
        }
        var received: [Int] = []
        while let value = queue.pop() { received.append(value) }
        done.wait()
        #expect(received == Array(0..<1000))
    }

    @Test func closingReleasesABlockedProducer() {
        let queue = BoundedQueue<Int>(capacity: 1)
        #expect(queue.push(1))
        let result = LockedBox<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            result.set(queue.push(2))  // blocks: the queue is full
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.05)
        queue.close()
        done.wait()
        #expect(result.get() == false)
        #expect(queue.pop() == 1, "what was queued before close is still delivered")
        #expect(queue.pop() == nil)
    }
}

final class LockedBox<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
