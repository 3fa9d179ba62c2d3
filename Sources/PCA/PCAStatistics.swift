import CBLAS
import Foundation

/// Mergeable sufficient statistics for PCA: row count, mean and co-moment matrix
/// M = Σ (x − mean)(x − mean)ᵀ in float64, so that covariance = M / (n − 1).
///
/// Each batch is centred on its own mean before the BLAS rank-k update, and batches/shards are
/// combined with Chan et al.'s pairwise formula; this avoids the cancellation of the textbook
/// Σxxᵀ − n·mean·meanᵀ when features have a large mean relative to their spread.
public struct PCAStatistics: Sendable, Equatable {
    /// Length of each feature vector.
    public let dimension: Int
    /// Number of rows accumulated.
    public private(set) var count: Int
    /// Mean of the rows (length `dimension`).
    public private(set) var mean: [Double]
    /// Co-moment matrix, d×d row-major and symmetric (both triangles filled).
    public var comoment: [Double] { symmetrized(upper) }

    /// Upper triangle (row-major) of the co-moment; the lower triangle is not maintained.
    private var upper: [Double]

    /// Rows per internal BLAS block: bounds the float64 scratch to blockRows × d.
    static let blockRows = 2048

    /// Empty statistics for `dimension`-d vectors.
    public init(dimension: Int) throws {
        guard dimension > 0 else { throw PCAError.emptyDimension }
        self.dimension = dimension
        count = 0
        mean = [Double](repeating: 0, count: dimension)
        upper = [Double](repeating: 0, count: dimension * dimension)
    }

    /// Statistics from stored parts (used by `load`); `comoment` must be d×d.
    public init(dimension: Int, count: Int, mean: [Double], comoment: [Double]) throws {
        guard dimension > 0 else { throw PCAError.emptyDimension }
        guard mean.count == dimension else {
            throw PCAError.dimensionMismatch(expected: dimension, got: mean.count, what: "mean")
        }
        guard comoment.count == dimension * dimension else {
            throw PCAError.dimensionMismatch(expected: dimension * dimension, got: comoment.count,
                                             what: "co-moment matrix")
        }
        guard count >= 0 else { throw PCAError.tooFewRows(count: count) }
        self.dimension = dimension
        self.count = count
        self.mean = mean
        // Keep only the upper triangle so equal statistics compare equal however they were made.
        var upperOnly = comoment
        for i in 0..<dimension {
            for j in 0..<i { upperOnly[i * dimension + j] = 0 }
        }
        self.upper = upperOnly
    }

    /// Sample covariance M / (n − 1), d×d row-major (Spark's definition).
    public func covariance() throws -> [Double] {
        guard count >= 2 else { throw PCAError.tooFewRows(count: count) }
        let scale = 1.0 / Double(count - 1)
        return symmetrized(upper).map { $0 * scale }
    }

    /// Adds `count` rows given as one flat row-major array of `count × dimension` floats.
    public mutating func add(rows: [Float], count rowCount: Int) throws {
        try add(flat: rows, count: rowCount) { Double($0) }
    }

    /// Adds `count` rows given as one flat row-major array of `count × dimension` doubles.
    public mutating func add(rows: [Double], count rowCount: Int) throws {
        try add(flat: rows, count: rowCount) { $0 }
    }

    /// Adds rows given one vector each; every vector must have `dimension` values.
    public mutating func add(vectors: [[Float]]) throws {
        var flat = [Float]()
        flat.reserveCapacity(vectors.count * dimension)
        for (i, v) in vectors.enumerated() {
            guard v.count == dimension else {
                throw PCAError.rowLengthMismatch(row: count + i, expected: dimension, got: v.count)
            }
            flat.append(contentsOf: v)
        }
        try add(rows: flat, count: vectors.count)
    }

    /// Combines `other` (statistics of disjoint rows) into these, as if all rows had been added here.
    public mutating func merge(_ other: PCAStatistics) throws {
        guard other.dimension == dimension else {
            throw PCAError.dimensionMismatch(expected: dimension, got: other.dimension, what: "merged statistics")
        }
        combine(count: other.count, mean: other.mean, upper: other.upper)
    }

    private mutating func add<T>(flat: [T], count rowCount: Int, _ convert: (T) -> Double) throws {
        let d = dimension
        guard rowCount >= 0, flat.count == rowCount * d else {
            throw PCAError.flatLengthMismatch(count: rowCount, dimension: d, got: flat.count)
        }
        // Validate everything first so a bad batch leaves the statistics untouched.
        for r in 0..<rowCount {
            for c in 0..<d {
                let v = convert(flat[r * d + c])
                if !v.isFinite { throw PCAError.nonFinite(row: count + r, column: c, value: v) }
            }
        }
        var start = 0
        var block = [Double](repeating: 0, count: min(rowCount, Self.blockRows) * d)
        while start < rowCount {
            let n = min(Self.blockRows, rowCount - start)
            var blockMean = [Double](repeating: 0, count: d)
            for r in 0..<n {
                let base = (start + r) * d
                for c in 0..<d {
                    let v = convert(flat[base + c])
                    block[r * d + c] = v
                    blockMean[c] += v
                }
            }
            let inv = 1.0 / Double(n)
            for c in 0..<d { blockMean[c] *= inv }
            for r in 0..<n {
                for c in 0..<d { block[r * d + c] -= blockMean[c] }
            }
            var blockUpper = [Double](repeating: 0, count: d * d)
            // Row-major Upper with Trans computes Aᵀ·A for A = n×d: the d×d co-moment.
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n),
                        1.0, block, Int32(d), 0.0, &blockUpper, Int32(d))
            combine(count: n, mean: blockMean, upper: blockUpper)
            start += n
        }
    }

    /// Chan et al.: M = Ma + Mb + δδᵀ·na·nb/n, mean = meanA + δ·nb/n, with δ = meanB − meanA.
    private mutating func combine(count nb: Int, mean meanB: [Double], upper upperB: [Double]) {
        guard nb > 0 else { return }
        let na = count
        if na == 0 {
            count = nb
            mean = meanB
            upper = upperB
            return
        }
        let d = dimension
        let n = na + nb
        var delta = [Double](repeating: 0, count: d)
        for c in 0..<d { delta[c] = meanB[c] - mean[c] }
        for i in 0..<(d * d) { upper[i] += upperB[i] }
        let weight = Double(na) * Double(nb) / Double(n)
        cblas_dsyr(CblasRowMajor, CblasUpper, Int32(d), weight, delta, 1, &upper, Int32(d))
        let f = Double(nb) / Double(n)
        for c in 0..<d { mean[c] += delta[c] * f }
        count = n
    }

    private func symmetrized(_ m: [Double]) -> [Double] {
        let d = dimension
        var full = m
        for i in 0..<d {
            for j in (i + 1)..<d { full[j * d + i] = m[i * d + j] }
        }
        return full
    }
}
