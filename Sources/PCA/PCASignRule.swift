/// How a fit chose the sign of each principal component (eigenvectors are defined up to sign).
/// MODEL.json and the Parquet metadata record it by `rawValue`.
public enum PCASignRule: String, Sendable, Equatable, CaseIterable {
    /// Spark ML's signs: the left singular vectors of the covariance exactly as LAPACK dgesdd returns
    /// them (what `PCA.fit` computes through Breeze). The CPU fit's rule.
    case sparkDgesdd = "spark-dgesdd"
    /// The entry with the largest absolute value is positive (lowest index on ties). The GPU subspace
    /// solver's rule: its iteration cannot know the signs dgesdd would pick without a full d×d SVD.
    case largestAbsEntryPositive = "largest-abs-entry-positive"

    /// Index of the entry that decides the sign under `largestAbsEntryPositive` (largest |v|, lowest
    /// index on ties).
    public static func decidingIndex<C: RandomAccessCollection>(_ vector: C) -> Int where C.Element == Double, C.Index == Int {
        var best = vector.startIndex
        var bestMagnitude = -1.0
        for i in vector.indices where abs(vector[i]) > bestMagnitude {
            best = i
            bestMagnitude = abs(vector[i])
        }
        return best - vector.startIndex
    }

    /// Flips columns of a d×k row-major matrix so that each has its largest-magnitude entry positive.
    public static func applyLargestAbsEntryPositive(toColumnsOf matrix: inout [Double], rows d: Int, columns k: Int) {
        for j in 0..<k {
            var column = [Double](repeating: 0, count: d)
            for i in 0..<d { column[i] = matrix[i * k + j] }
            let at = decidingIndex(column)
            if column[at] < 0 {
                for i in 0..<d { matrix[i * k + j] = -matrix[i * k + j] }
            }
        }
    }
}
