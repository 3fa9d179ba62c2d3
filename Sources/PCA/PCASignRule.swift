/// The one sign convention for principal components, applied by every fit path (CPU, GPU, shards):
/// in each component the entry with the largest absolute value is positive; among entries of equal
/// absolute value the lowest index decides.
public enum PCASignRule {
    /// Name recorded in MODEL.json.
    public static let name = "largest-abs-entry-positive"

    /// Index of the entry that decides the sign of `vector` (largest |v|, lowest index on ties).
    public static func decidingIndex<C: RandomAccessCollection>(_ vector: C) -> Int where C.Element == Double, C.Index == Int {
        var best = vector.startIndex
        var bestMagnitude = -1.0
        for i in vector.indices where abs(vector[i]) > bestMagnitude {
            best = i
            bestMagnitude = abs(vector[i])
        }
        return best - vector.startIndex
    }

    /// Flips columns of a d×k row-major matrix so that each obeys the rule.
    public static func apply(toColumnsOf matrix: inout [Double], rows d: Int, columns k: Int) {
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
