import Common

/// A deterministic share of a listing for one of N machines (`--shard I/N`).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `I/N` with 0 ≤ I < N.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n > 0, i >= 0, i < n else {
            throw PipelineError("--shard \(text): expected I/N with 0 <= I < N, e.g. 0/4")
        }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether this shard owns `path`. The share depends on the path alone (FNV-1a), so shards agree
    /// whatever order or subset of the listing each one sees.
    public func owns(_ path: String) -> Bool {
        guard count > 1 else { return true }
        return Int(FNV1a.hash(path) % UInt64(count)) == index
    }
}
