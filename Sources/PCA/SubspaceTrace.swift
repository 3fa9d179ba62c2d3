import Foundation

/// What one subspace fit spent, for benchmarks (`imgfeat-bench-pca --eigen`): the products of C with
/// the block and the seconds they took (device submission to read-back, or host BLAS), the
/// Rayleigh–Ritz steps (one host orthonormalisation each), and the set-up (C's upload).
public final class SubspaceTrace: @unchecked Sendable {
    public internal(set) var products = 0
    public internal(set) var productSeconds = 0.0
    public internal(set) var steps = 0
    public internal(set) var setupSeconds = 0.0

    public init() {}
}

/// A `SubspaceProducts` face that counts and times the one it wraps.
final class TimedSubspaceProducts: SubspaceProducts {
    let inner: SubspaceProducts
    let trace: SubspaceTrace

    init(_ inner: SubspaceProducts, trace: SubspaceTrace) {
        self.inner = inner
        self.trace = trace
    }

    func power(_ x: [Double], _ p: Int) throws -> [Double] {
        let start = Date()
        defer {
            trace.productSeconds += Date().timeIntervalSince(start)
            trace.products += p
        }
        return try inner.power(x, p)
    }
}
