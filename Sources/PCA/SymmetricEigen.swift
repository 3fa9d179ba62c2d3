import CBLAS

/// Eigen-decomposition of a real symmetric matrix with LAPACK's dsyevr (MRRR).
enum SymmetricEigen {
    /// All eigenvalues in descending order and the matching eigenvectors as the columns of a d×d
    /// row-major matrix. `matrix` is d×d row-major; only its upper triangle is read.
    static func decompose(_ matrix: [Double], dimension d: Int) throws -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var w = [Double](repeating: 0, count: d)
        var z = [Double](repeating: 0, count: d * d)
        var isuppz = [Int32](repeating: 0, count: 2 * d)
        var found: Int32 = 0
        let n = Int32(d)
        let info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "A")),
                                  Int8(UInt8(ascii: "U")), n, &a, n, 0, 0, 0, 0, 0,
                                  &found, &w, &z, n, &isuppz)
        // dsyevr's failure keeps its own error (it is the one a user can meet: no convergence).
        guard info == 0, Int(found) == d else { throw PCAError.eigenSolverFailed(info: Int(info)) }
        // LAPACK returns ascending order; PCA wants the largest first.
        var values = [Double](repeating: 0, count: d)
        var vectors = [Double](repeating: 0, count: d * d)
        for j in 0..<d {
            let src = d - 1 - j
            values[j] = w[src]
            for i in 0..<d { vectors[i * d + j] = z[i * d + src] }
        }
        return (values, vectors)
    }
}
