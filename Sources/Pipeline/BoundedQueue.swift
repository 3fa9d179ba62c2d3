import Foundation

/// A blocking first-in first-out queue of bounded capacity between two pipeline stages, so that a fast
/// producer cannot run ahead of a slow consumer and grow memory.
public final class BoundedQueue<Element>: @unchecked Sendable {
    /// A ring of `capacity` slots; a popped slot is emptied at once, so the queue never keeps an
    /// element alive after handing it out (a batch's model input is 38 MB at the defaults).
    private var slots: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private let condition = NSCondition()
    private var pushWait = 0.0
    private var popWait = 0.0
    private var pops = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        slots = Array(repeating: nil, count: capacity)
    }

    /// Waits for room, then appends; returns false when the queue was closed by the consumer.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if count == slots.count && !closed {
            let start = Date()
            while count == slots.count && !closed { condition.wait() }
            pushWait += Date().timeIntervalSince(start)
        }
        guard !closed else { return false }
        slots[(head + count) % slots.count] = element
        count += 1
        condition.broadcast()
        return true
    }

    /// Waits for an element; nil once the queue is closed and drained.
    public func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        if count == 0 && !closed {
            let start = Date()
            while count == 0 && !closed { condition.wait() }
            // The wait for the first element is the pipeline filling, not a stage holding another back.
            if pops > 0 { popWait += Date().timeIntervalSince(start) }
        }
        guard count > 0 else { return nil }
        pops += 1
        let element = slots[head].take()
        head = (head + 1) % slots.count
        count -= 1
        condition.broadcast()
        return element
    }

    /// Seconds producers spent blocked on a full queue, and consumers on an empty one after the first
    /// element (what `Bottleneck.classify` reads).
    public var waitSeconds: (push: Double, pop: Double) {
        condition.lock()
        defer { condition.unlock() }
        return (pushWait, popWait)
    }

    /// Elements waiting, for tests and diagnostics.
    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// No more pushes: a waiting `pop` returns what is left, then nil; a waiting `push` returns false.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
