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

    /// The queue once kept every popped element until 64 had gone through (a batch's model input is
    /// 38 MB at the defaults: 2.5 GB held): nothing handed out may stay alive inside it.
    @Test func aPoppedElementIsNotKeptAlive() {
        let queue = BoundedQueue<Tracked>(capacity: 3)
        var watched: [WeakBox] = []
        for round in 0..<200 {
            let element = Tracked(round)
            watched.append(WeakBox(element))
            #expect(queue.push(element))
            if round % 2 == 1 {
                while queue.waiting > 0 { _ = queue.pop() }
            }
        }
        while queue.waiting > 0 { _ = queue.pop() }
        let alive = watched.enumerated().filter { $0.element.value != nil }.map(\.offset)
        #expect(alive.isEmpty, "elements still alive after being popped: \(alive.prefix(10))")
    }
}

final class Tracked: Sendable {
    let id: Int
    init(_ id: Int) { self.id = id }
}

final class WeakBox {
    weak var value: Tracked?
    init(_ value: Tracked) { self.value = value }
}

final class LockedBox<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
