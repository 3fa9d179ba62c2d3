import Foundation

/// A value shared between threads behind a lock.
public final class LockedValue<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()

    /// A box holding `value`.
    public init(_ value: T) { stored = value }

    /// The current value.
    public var value: T { lock.lock(); defer { lock.unlock() }; return stored }

    /// Changes the value under the lock.
    public func update(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
