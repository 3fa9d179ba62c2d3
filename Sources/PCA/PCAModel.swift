import CBLAS

/// A fitted PCA: the top-k principal components of the covariance (divided by n − 1, as Spark ML
/// does), all eigenvalues, and the explained variance of the first k.
public struct PCAModel: Sendable, Equatable {
    /// Number of components kept.
    public let k: Int
    /// Number of rows the model was fitted on.
    public let count: Int
    /// Length of the feature vectors.
    public let dimension: Int
    /// Mean of the fitted rows (used only when `center` is true).
    public let mean: [Double]
    /// Eigenvalues of the covariance, largest first: all `dimension` of them from the CPU solver, the
    /// leading block (at least k) from the GPU subspace solver.
    public let eigenvalues: [Double]
    /// Sum of all eigenvalues (the covariance's trace): the denominator of the explained variance.
    public let totalVariance: Double
    /// eigenvalue / sum of all eigenvalues, for the first k (Spark's explainedVariance).
    public let explainedVariance: [Double]
    /// Principal components as the columns of a d×k row-major matrix, signs per `signRule`.
    public let components: [Double]
    /// How the components' signs were chosen (the CPU fit reproduces Spark's).
    public let signRule: PCASignRule
    /// Which solver fitted the model (the components' signs follow `method.signRule`).
    public var method: PCAMethod = .lapackDgesdd
    /// Where the eigen step ran: "host" or the Vulkan device's name; nil when a file does not say.
    public var fittedOn: String?
    /// true: project x − mean (scikit-learn); false: project x as is (Spark's PCAModel.transform).
    public var center: Bool
    /// What the fitted features' tables record about the network that made them (key → value);
    /// empty when unknown. Saved in MODEL.json as `features_model`, so a projection can be checked.
    public var featureModel: [String: String] = [:]

    /// A model from its parts; checks shapes and recomputes the explained variance. `totalVariance`
    /// may be omitted only when all d eigenvalues are given (it is then their sum).
    public init(k: Int, count: Int, mean: [Double], eigenvalues: [Double], components: [Double],
                center: Bool, totalVariance: Double? = nil, signRule: PCASignRule = .sparkDgesdd) throws {
        let d = mean.count
        guard d > 0 else { throw PCAError.emptyDimension }
        guard count >= 2 else { throw PCAError.tooFewRows(count: count) }
        guard k >= 1, k <= d, k <= count - 1 else { throw PCAError.invalidK(k: k, dimension: d, count: count) }
        guard eigenvalues.count <= d, eigenvalues.count >= k, totalVariance != nil || eigenvalues.count == d else {
            throw PCAError.dimensionMismatch(expected: d, got: eigenvalues.count, what: "eigenvalues")
        }
        guard components.count == d * k else {
            throw PCAError.dimensionMismatch(expected: d * k, got: components.count, what: "components (d×k)")
        }
        self.k = k
        self.count = count
        self.dimension = d
        self.mean = mean
        self.eigenvalues = eigenvalues
        self.components = components
        self.center = center
        self.signRule = signRule
        method = signRule == .sparkDgesdd ? .lapackDgesdd : .vulkanSubspaceIteration
        let total = totalVariance ?? eigenvalues.reduce(0, +)
        self.totalVariance = total
        explainedVariance = eigenvalues.prefix(k).map { total > 0 ? $0 / total : 0 }
    }

    /// Fits the top `k` components from accumulated statistics as Spark ML does: LAPACK dgesdd of the
    /// covariance, its left singular vectors with their signs, its singular values as eigenvalues.
    public static func fit(_ statistics: PCAStatistics, k: Int, center: Bool = false) throws -> PCAModel {
        let d = statistics.dimension
        guard statistics.count >= 2 else { throw PCAError.tooFewRows(count: statistics.count) }
        guard k >= 1, k <= d, k <= statistics.count - 1 else {
            throw PCAError.invalidK(k: k, dimension: d, count: statistics.count)
        }
        let (values, vectors) = try CovarianceSVD.decompose(try statistics.covariance(), dimension: d)
        var top = [Double](repeating: 0, count: d * k)
        for i in 0..<d {
            for j in 0..<k { top[i * k + j] = vectors[i * d + j] }
        }
        var model = try PCAModel(k: k, count: statistics.count, mean: statistics.mean, eigenvalues: values,
                                 components: top, center: center, signRule: .sparkDgesdd)
        model.fittedOn = "host"
        return model
    }

    /// Component `j` (0-based) as a vector of length `dimension`.
    public func component(_ j: Int) -> [Double] {
        (0..<dimension).map { components[$0 * k + j] }
    }

    /// Projects `count` rows (flat, row-major, `count × dimension`) onto the components:
    /// n×k row-major doubles.
    public func transform(rows: [Float], count rowCount: Int) throws -> [Double] {
        try project(flat: rows, count: rowCount) { Double($0) }
    }

    /// Projects `count` rows of doubles (flat, row-major) onto the components: n×k row-major.
    public func transform(rows: [Double], count rowCount: Int) throws -> [Double] {
        try project(flat: rows, count: rowCount) { $0 }
    }

    private func project<T>(flat: [T], count n: Int, _ convert: (T) -> Double) throws -> [Double] {
        let d = dimension
        guard n >= 0, flat.count == n * d else {
            throw PCAError.flatLengthMismatch(count: n, dimension: d, got: flat.count)
        }
        guard n > 0 else { return [] }
        var x = [Double](repeating: 0, count: n * d)
        for r in 0..<n {
            for c in 0..<d {
                let v = convert(flat[r * d + c])
                guard v.isFinite else { throw PCAError.nonFinite(row: r, column: c, value: v) }
                x[r * d + c] = center ? v - mean[c] : v
            }
        }
        var y = [Double](repeating: 0, count: n * k)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(k), Int32(d),
                    1.0, x, Int32(d), components, Int32(k), 0.0, &y, Int32(k))
        return y
    }
}
