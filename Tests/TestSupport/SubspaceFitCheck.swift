import PCA

/// The oracle check of a subspace-iteration fit (GPU or its host face) against the LAPACK fit of the
/// same statistics, as issue 17.7 states it: explained variance within 1e-6, components within 1e-4
/// (relative to the column's largest entry) up to sign; plus the device path's own sign rule: each
/// component's largest-magnitude entry is positive, and wherever LAPACK's column has a clear largest
/// entry (top two magnitudes 1e-3 apart) the sign is the one that rule gives LAPACK's column.
/// Returns one line per problem, the first mismatch of each kind with index, expected and got.
public func subspaceFitProblems(_ model: PCAModel, against reference: PCAModel, what: String,
                                explainedTolerance: Double = 1e-6, componentTolerance: Double = 1e-4) -> [String] {
    var problems: [String] = []
    let d = reference.dimension, k = reference.k
    guard model.k == k, model.dimension == d else {
        return ["\(what): shape k \(model.k) d \(model.dimension), expected k \(k) d \(d)"]
    }
    if model.signRule != .largestAbsEntryPositive { problems.append("\(what): sign rule \(model.signRule.rawValue)") }
    for j in 0..<k where !(abs(model.explainedVariance[j] - reference.explainedVariance[j]) <= explainedTolerance) {
        problems.append("\(what): explained variance[\(j)]: expected \(reference.explainedVariance[j]), got \(model.explainedVariance[j])")
        break
    }
    for j in 0..<k {
        let ours = model.component(j), theirs = reference.component(j)
        let dot = zip(ours, theirs).reduce(0) { $0 + $1.0 * $1.1 }
        let sign: Double = dot < 0 ? -1 : 1
        let scale = theirs.map(abs).max() ?? 1
        if let i = (0..<d).first(where: { !(abs(ours[$0] - sign * theirs[$0]) <= componentTolerance * scale) }) {
            problems.append("\(what): component \(j) entry \(i): expected ±\(theirs[i]) (sign \(sign)), got \(ours[i])")
            continue
        }
        let at = PCASignRule.decidingIndex(ours)
        if !(ours[at] > 0) { problems.append("\(what): component \(j): largest entry \(at) is \(ours[at]), not positive") }
        let magnitudes = theirs.map(abs).sorted(by: >)
        if magnitudes.count < 2 || magnitudes[0] - magnitudes[1] > 1e-3 * magnitudes[0] {
            let expected: Double = theirs[PCASignRule.decidingIndex(theirs)] < 0 ? -1 : 1
            if sign != expected { problems.append("\(what): component \(j): sign \(sign), the rule on LAPACK's column gives \(expected)") }
        }
    }
    return problems
}

/// PCA statistics whose covariance has eigenvalues `values` (C = U·diag(λ)·Uᵀ, seeded U), of `count`
/// rows, with an offset mean.
public func spectrumStatistics(_ values: [Double], count: Int, seed: UInt64) throws -> PCAStatistics {
    let d = values.count
    let covariance = SpectrumMatrix.make(values, seed: seed)
    return try PCAStatistics(dimension: d, count: count, mean: (0..<d).map { 1 + 0.01 * Double($0) },
                             comoment: covariance.map { $0 * Double(count - 1) })
}
