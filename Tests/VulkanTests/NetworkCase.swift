import Model
import Testing

/// One whole-network case of the engine tests: a seeded random model at `alpha`/`size`, `batch` images,
/// the engine at `precision`.
struct NetworkCase: Sendable, CustomTestStringConvertible {
    let alpha: Double
    let size: Int
    let batch: Int
    let precision: VulkanPrecision
    var testDescription: String { "alpha \(alpha) size \(size) batch \(batch) \(precision.rawValue)" }
}
