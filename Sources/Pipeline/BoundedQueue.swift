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

    public init(capacity: Int) {
        precondition(capacity > 0)
        slots = Array(repeating: nil, count: capacity)
    }

    /// Waits for room, then appends; returns false when the queue was closed by the consumer.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while count == slots.count && !closed { condition.wait() }
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
        while count == 0 && !closed { condition.wait() }
        guard count > 0 else { return nil }
        let element = slots[head].take()
        head = (head + 1) % slots.count
        count -= 1
        condition.broadcast()
        return element
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
