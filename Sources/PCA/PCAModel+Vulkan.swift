import CBLAS
import Common
import Foundation
import VulkanRuntime

extension PCAModel {
    /// Fits the top `k` components on the GPU: block subspace iteration whose d×d × d×b products run in
    /// `pca_subspace.comp` (float-float), with orthonormalisation and Rayleigh–Ritz in float64 on the
    /// host. Same semantics and sign rule as `fit(_:k:center:)`; `eigenvalues` holds the first k only
    /// and `totalVariance` is the covariance's trace.
    public static func fit(_ statistics: PCAStatistics, k: Int, center: Bool = false, context: VulkanContext,
                           tolerance: Double = 1e-10, maxIterations: Int = 1000) throws -> PCAModel {
        let d = statistics.dimension
        guard statistics.count >= 2 else { throw PCAError.tooFewRows(count: statistics.count) }
        guard k >= 1, k <= d, k <= statistics.count - 1 else {
            throw PCAError.invalidK(k: k, dimension: d, count: statistics.count)
        }
        let covariance = try statistics.covariance()
        let trace = (0..<d).reduce(0.0) { $0 + covariance[$1 * d + $1] }
        // A wider block than k speeds convergence (rate λ_{b+1}/λ_k) at little cost.
        let b = min(d, max(2 * k, k + 8))
        let solver = try SubspaceProduct(context: context, covariance: covariance, dimension: d, block: b)
        var q = try SubspaceMath.orthonormalize(SubspaceMath.seededBlock(rows: d, columns: b), rows: d, columns: b)
        var residual = Double.infinity
        for _ in 0..<maxIterations {
            var z = try solver.multiply(q)
            // Rayleigh–Ritz: H = Qᵀ C Q, rotate Q and Z onto H's eigenvectors (largest first).
            var h = [Double](repeating: 0, count: b * b)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(b), Int32(b), Int32(d), 1, q, Int32(b),
                        z, Int32(b), 0, &h, Int32(b))
            for i in 0..<b {
                for j in (i + 1)..<max(i + 1, b) {
                    let mean = 0.5 * (h[i * b + j] + h[j * b + i])
                    h[i * b + j] = mean
                    h[j * b + i] = mean
                }
            }
            let (theta, v) = try SymmetricEigen.decompose(h, dimension: b)
            q = SubspaceMath.multiply(q, v, rows: d, inner: b, columns: b)
            z = SubspaceMath.multiply(z, v, rows: d, inner: b, columns: b)
            residual = SubspaceMath.maxResidual(z: z, q: q, theta: theta, rows: d, columns: b, first: k)
                / max(abs(theta[0]), .leastNormalMagnitude)
            if residual <= tolerance {
                var components = [Double](repeating: 0, count: d * k)
                for i in 0..<d {
                    for j in 0..<k { components[i * k + j] = q[i * b + j] }
                }
                PCASignRule.apply(toColumnsOf: &components, rows: d, columns: k)
                return try PCAModel(k: k, count: statistics.count, mean: statistics.mean,
                                    eigenvalues: Array(theta.prefix(k)), components: components, center: center,
                                    totalVariance: trace)
            }
            q = try SubspaceMath.orthonormalize(z, rows: d, columns: b)
        }
        throw PCAError.notConverged(iterations: maxIterations, residual: residual)
    }
}

/// Z = C·Q on the device: C uploaded once as float-float, Q and Z through host-visible buffers.
final class SubspaceProduct {
    let context: VulkanContext
    let pipeline: ComputePipeline
    let covariance: Buffer
    let block: Buffer
    let product: Buffer
    let d: Int
    let b: Int

    init(context: VulkanContext, covariance c: [Double], dimension d: Int, block b: Int) throws {
        self.context = context
        self.d = d
        self.b = b
        pipeline = try .pcaKernel("pca_subspace", context: context, bindings: 3, pushBytes: 8)
        covariance = try Buffer(context: context, size: d * d * 8)
        block = try Buffer(context: context, size: d * b * 8, location: .upload)
        product = try Buffer(context: context, size: d * b * 8, location: .readback)
        let staging = try Buffer(context: context, size: d * d * 8, location: .upload)
        try staging.write(SubspaceMath.floatFloat(c))
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        try sequence.copy(from: staging, to: covariance, size: d * d * 8)
        sequence.barrier()
        try sequence.run()
    }

    func multiply(_ q: [Double]) throws -> [Double] {
        try block.write(SubspaceMath.floatFloat(q))
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        try sequence.dispatch(pipeline, [BufferBinding(covariance), BufferBinding(block), BufferBinding(product)],
                              push: [UInt32(d), UInt32(b)], groups: ((b + 15) / 16, (d + 15) / 16, 1))
        sequence.barrier()
        try sequence.run()
        let pairs = try product.read(Float.self, count: 2 * d * b)
        return (0..<(d * b)).map { Double(pairs[2 * $0]) + Double(pairs[2 * $0 + 1]) }
    }
}

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

    /// max over the first `first` columns of ‖z_j − θ_j q_j‖ (Ritz residuals).
    static func maxResidual(z: [Double], q: [Double], theta: [Double], rows: Int, columns: Int, first: Int) -> Double {
        var worst = 0.0
        for j in 0..<first {
            var sum = 0.0
            for i in 0..<rows {
                let r = z[i * columns + j] - theta[j] * q[i * columns + j]
                sum += r * r
            }
            worst = max(worst, sum.squareRoot())
        }
        return worst
    }
}
