import CBLAS
import Common

/// Host-side float64 helpers of the subspace iteration.
enum SubspaceMath {
    /// Each double as a (hi, lo) pair of floats with hi + lo ≈ v to about 2^-48 relative.
    static func floatFloat(_ values: [Double]) -> [Float] {
        var out = [Float](repeating: 0, count: 2 * values.count)
        for (i, v) in values.enumerated() {
            let hi = Float(v)
            out[2 * i] = hi
            out[2 * i + 1] = Float(v - Double(hi))
        }
        return out
    }

    /// A fixed pseudo-random start block (SplitMix64), so runs are reproducible.
    static func seededBlock(rows: Int, columns: Int) -> [Double] {
        var random = SplitMix64(seed: 0x5EED_0F50)
        return (0..<(rows * columns)).map { _ in random.nextUnit() - 0.5 }
    }

    /// Q of the thin QR factorisation of a rows×columns row-major matrix (LAPACK dgeqrf + dorgqr).
    /// Householder QR gives an orthonormal Q even when the block is rank-deficient (a covariance of
    /// fewer rows than dimensions), which Cholesky-based QR would not.
    static func orthonormalize(_ a: [Double], rows m: Int, columns n: Int) throws -> [Double] {
        var q = a
        var tau = [Double](repeating: 0, count: n)
        try LAPACKStatus.check(LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), &q, Int32(n), &tau), "dgeqrf")
        try LAPACKStatus.check(LAPACKE_dorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(n), &q, Int32(n), &tau), "dorgqr")
        return q
    }

    /// (rows×inner) · (inner×columns), row-major.
    static func multiply(_ a: [Double], _ b: [Double], rows: Int, inner: Int, columns: Int) -> [Double] {
        var c = [Double](repeating: 0, count: rows * columns)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(columns), Int32(inner), 1,
                    a, Int32(inner), b, Int32(columns), 0, &c, Int32(columns))
        return c
    }

    /// ‖z_j − θ_j q_j‖ for the first `first` columns (the Ritz residuals).
    static func residuals(z: [Double], q: [Double], theta: [Double], rows: Int, columns: Int, first: Int) -> [Double] {
        (0..<first).map { j in
            var sum = 0.0
            for i in 0..<rows {
                let r = z[i * columns + j] - theta[j] * q[i * columns + j]
                sum += r * r
            }
            return sum.squareRoot()
        }
    }

    /// The columns of `a` scaled to unit length; a zero column (a null-space direction) is replaced
    /// by the same column of `fallback`, so the next block keeps full width.
    static func normalizedColumns(_ a: [Double], orElse fallback: [Double], rows: Int, columns: Int) -> [Double] {
        var out = a
        for j in 0..<columns {
            var sum = 0.0
            for i in 0..<rows { sum += a[i * columns + j] * a[i * columns + j] }
            let norm = sum.squareRoot()
            for i in 0..<rows {
                out[i * columns + j] = norm > 0 && norm.isFinite ? a[i * columns + j] / norm : fallback[i * columns + j]
            }
        }
        return out
    }
}
