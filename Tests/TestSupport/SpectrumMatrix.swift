/// Seeded symmetric positive semi-definite matrices with a chosen spectrum, for the PCA solver tests:
/// C = U·diag(λ)·Uᵀ with U a product of seeded Householder reflections (all d of them up to d = 127,
/// 6 beyond, which keeps the build O(d²) per reflection), the eigenvalues placed in a seeded order so
/// the leading eigenvector is no coordinate axis.
public enum SpectrumMatrix {
    /// The d×d row-major matrix with eigenvalues `values` (any order, any multiplicity).
    public static func make(_ values: [Double], seed: UInt64) -> [Double] {
        let d = values.count
        var g = SeededGenerator(seed: seed)
        var order = Array(0..<d)
        order.shuffle(using: &g)
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d { c[i * d + i] = values[order[i]] }
        let reflections = d <= 127 ? d : 6
        for _ in 0..<reflections {
            // C ← H C H with H = I − 2vvᵀ, ‖v‖ = 1: C − 2v(Cv)ᵀ − 2(Cv)vᵀ + 4(vᵀCv)vvᵀ.
            var v = (0..<d).map { _ in Double.random(in: -1...1, using: &g) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            v = v.map { $0 / norm }
            var w = [Double](repeating: 0, count: d)
            for i in 0..<d {
                var sum = 0.0
                for j in 0..<d { sum += c[i * d + j] * v[j] }
                w[i] = sum
            }
            let vw = zip(v, w).reduce(0) { $0 + $1.0 * $1.1 }
            for i in 0..<d {
                for j in 0..<d {
                    c[i * d + j] += -2 * v[i] * w[j] - 2 * w[i] * v[j] + 4 * vw * v[i] * v[j]
                }
            }
        }
        // Exactly symmetric, as a co-moment is.
        for i in 0..<d {
            for j in (i + 1)..<max(i + 1, d) {
                let mean = 0.5 * (c[i * d + j] + c[j * d + i])
                c[i * d + j] = mean
                c[j * d + i] = mean
            }
        }
        return c
    }

    /// λ_i = decay^i + floor, i = 0..<d.
    public static func geometric(_ d: Int, decay: Double, floor: Double = 0) -> [Double] {
        (0..<d).map { pow(decay, Double($0)) + floor }
    }

    private static func pow(_ x: Double, _ y: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(y) { result *= x }
        return result
    }
}
