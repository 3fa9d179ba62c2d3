import CBLAS
import Common
import Foundation

/// Z = Cᵖ·X for the subspace iteration, C the (scaled) covariance held by the implementation: the
/// Vulkan face runs `pca_subspace.comp`, the host face BLAS (the reference the device face is held to).
protocol SubspaceProducts: AnyObject {
    /// Cᵖ·X for a d×b row-major block X, p ≥ 1 products in a row with only the last one read back.
    func power(_ x: [Double], _ p: Int) throws -> [Double]
}

/// Block subspace iteration with Rayleigh–Ritz for the top k eigenpairs of a symmetric positive
/// semi-definite d×d matrix, with a convergence test that certifies each eigenvector rather than only
/// shrinking a residual: component j is accepted once ‖C·u_j − θ_j·u_j‖ ≤ tolerance · gap_j, where gap_j
/// is the distance from θ_j to its neighbouring Ritz values (Davis–Kahan: the angle between u_j and the
/// true eigenvector is then at most about `tolerance`). Repeated or nearly repeated eigenvalues make
/// gap_j tiny, so the test cannot pass and the iteration stops with `notConverged` instead of returning
/// an arbitrary vector of the eigenspace; so does a run that stalls at the arithmetic's floor.
struct SubspaceIteration {
    let d: Int
    let k: Int
    /// Block width b ≥ k (wider blocks converge faster: rate λ_{b+1}/λ_k per product).
    let b: Int
    /// Bound on each component's angle to the true eigenvector.
    var tolerance: Double = 1e-7
    /// Products of C with the block before giving up.
    var maxProducts: Int = 1000
    /// Most products in a row between two orthonormalisations (powers of C separate the spectrum faster
    /// than the host can orthonormalise; cond(Cᵖ⁻¹X) is kept under `powerConditionLimit`).
    var maxPower: Int = 8
    var powerConditionLimit: Double = 1e6

    /// What the iteration found: Ritz values (descending, b of them), Ritz vectors (d×b row-major) and
    /// how many products it took.
    struct Result {
        var values: [Double]
        var vectors: [Double]
        var products: Int
        var steps: Int
    }

    init(dimension d: Int, k: Int) {
        self.d = d
        self.k = k
        b = min(d, max(2 * k, k + 8))
    }

    func run(_ products: SubspaceProducts) throws -> Result {
        var x = SubspaceMath.seededBlock(rows: d, columns: b)
        var p = 1
        var used = 0
        var steps = 0
        var history: [Double] = []  // worst angle bound of each step
        var worst = (component: 0, bound: Double.infinity, gap: 0.0)
        while used + p <= maxProducts {
            // Y = Cᵖ⁻¹X, Q = orth(Y), Z = C·Q: p products, one orthonormalisation.
            let y = p > 1 ? try products.power(x, p - 1) : x
            var q = try SubspaceMath.orthonormalize(y, rows: d, columns: b)
            var z = try products.power(q, 1)
            used += p
            steps += 1
            // Rayleigh–Ritz: H = QᵀCQ (symmetrised), rotate Q and Z onto its eigenvectors, largest first.
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
            let residuals = SubspaceMath.residuals(z: z, q: q, theta: theta, rows: d, columns: b, first: k)
            worst = Self.worstBound(residuals: residuals, theta: theta, k: k)
            if worst.bound <= tolerance {
                return Result(values: theta, vectors: q, products: used, steps: steps)
            }
            history.append(worst.bound)
            if Self.stalled(history) { break }
            x = SubspaceMath.normalizedColumns(z, orElse: q, rows: d, columns: b)
            p = nextPower(theta)
        }
        throw PCAError.notConverged(products: used, component: worst.component, bound: worst.bound,
                                    gap: worst.gap, tolerance: tolerance)
    }

    /// Products in the next step: as many as keep (θ₀/θ_{b−1})^(p−1) under the condition limit.
    func nextPower(_ theta: [Double]) -> Int {
        let spread = abs(theta[0]) / max(abs(theta[b - 1]), .leastNormalMagnitude)
        guard spread > 1 else { return maxPower }
        let extra = Int(min(Double(maxPower), (log(powerConditionLimit) / log(spread)).rounded(.down)))
        return max(1, min(maxPower, 1 + extra))
    }

    /// The component whose angle bound residual / gap is largest, with its relative gap.
    static func worstBound(residuals: [Double], theta: [Double], k: Int) -> (component: Int, bound: Double, gap: Double) {
        let scale = max(abs(theta[0]), .leastNormalMagnitude)
        var worst = (component: 0, bound: 0.0, gap: 0.0)
        for j in 0..<k {
            var gap = Double.infinity
            if j > 0 { gap = min(gap, theta[j - 1] - theta[j]) }
            if j + 1 < theta.count { gap = min(gap, theta[j] - theta[j + 1]) }
            // No neighbour (d = 1): gap is infinite and the bound 0. A zero gap (equal Ritz values) leaves
            // the component undetermined whatever the residual.
            let bound = gap > 0 ? residuals[j] / gap : .infinity
            if bound >= worst.bound { worst = (j, bound, gap / scale) }
        }
        return worst
    }

    /// No halving of the worst bound over the last four steps (after a start-up of six): the iteration
    /// sits at its arithmetic's floor, or converges too slowly to be worth waiting for.
    static func stalled(_ history: [Double]) -> Bool {
        guard history.count >= 6 else { return false }
        return history[history.count - 1] > 0.5 * history[history.count - 5]
    }
}

extension SubspaceIteration {
    /// Checks a result against `matrix` itself in float64 on the host, whatever computed the products:
    /// for the first k Ritz vectors (and the next, for the last gap) w_j = C·u_j, θ_j = u_jᵀw_j and
    /// ‖w_j − θ_j u_j‖ / gap_j ≤ `slack` × tolerance. A device whose products are wrong, even
    /// consistently (its iteration then converges to another matrix's eigenvectors), fails here.
    func verify(_ result: Result, matrix: [Double], slack: Double = 10) throws {
        let m = min(b, k + 1)
        var u = [Double](repeating: 0, count: d * m)
        for i in 0..<d {
            for j in 0..<m { u[i * m + j] = result.vectors[i * b + j] }
        }
        let w = SubspaceMath.multiply(matrix, u, rows: d, inner: d, columns: m)
        let theta = (0..<m).map { j in (0..<d).reduce(0.0) { $0 + u[$1 * m + j] * w[$1 * m + j] } }
        let residuals = SubspaceMath.residuals(z: w, q: u, theta: theta, rows: d, columns: m, first: k)
        let worst = Self.worstBound(residuals: residuals, theta: theta, k: k)
        guard worst.bound <= slack * tolerance else {
            throw PCAError.deviceResultRejected(component: worst.component, bound: worst.bound)
        }
    }
}

/// The host face of `SubspaceProducts`: BLAS dgemm in float64, the reference for the device face and
/// the way the iteration's logic is tested without a device. `perturbation` > 0 makes it a wrong
/// device on purpose (products of C + ε·S, S a fixed seeded symmetric matrix), for the test of
/// `verify`.
final class HostSubspaceProducts: SubspaceProducts {
    let matrix: [Double]
    let d: Int
    let b: Int

    init(matrix: [Double], dimension d: Int, block b: Int, perturbation: Double = 0) {
        var m = matrix
        if perturbation > 0 {
            var random = SplitMix64(seed: 0xBAD_C0DE)
            for i in 0..<d {
                for j in i..<d {
                    let e = perturbation * (random.nextUnit() - 0.5)
                    m[i * d + j] += e
                    if j != i { m[j * d + i] += e }
                }
            }
        }
        self.matrix = m
        self.d = d
        self.b = b
    }

    func power(_ x: [Double], _ p: Int) throws -> [Double] {
        var current = x
        for _ in 0..<p { current = SubspaceMath.multiply(matrix, current, rows: d, inner: d, columns: b) }
        return current
    }
}
