import CBLAS

/// Singular value decomposition of the covariance with LAPACK's dgesdd, as Spark ML's `PCA.fit` takes
/// it (Breeze `svd`, JOBZ = 'A'): the left singular vectors with dgesdd's own signs are Spark's
/// principal components, and the singular values are its eigenvalues.
enum CovarianceSVD {
    /// Singular values (descending) and the left singular vectors as the columns of a d×d row-major
    /// matrix. `matrix` is the d×d symmetric covariance (row- and column-major are the same matrix).
    static func decompose(_ matrix: [Double], dimension d: Int) throws -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var s = [Double](repeating: 0, count: d)
        var u = [Double](repeating: 0, count: d * d)
        var vt = [Double](repeating: 0, count: d * d)
        let n = Int32(d)
        // Column-major, as Breeze calls it: the transposes LAPACKE's row-major layout would add could
        // change the rounding, and with it the signs this rule exists to reproduce.
        let info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "A")), n, n, &a, n, &s, &u, n, &vt, n)
        try LAPACKStatus.check(info, "dgesdd")
        // u is column-major: column j is u[j*d ..< (j+1)*d]; hand back the row-major layout.
        var vectors = [Double](repeating: 0, count: d * d)
        for j in 0..<d {
            for i in 0..<d { vectors[i * d + j] = u[j * d + i] }
        }
        return (s, vectors)
    }
}
