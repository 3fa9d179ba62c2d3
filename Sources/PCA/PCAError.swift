import Common
import Foundation

/// Why a PCA statistic, fit, projection or file could not be produced.
public enum PCAError: Error, Equatable, CustomStringConvertible {
    case emptyDimension
    case rowLengthMismatch(row: Int, expected: Int, got: Int)
    case flatLengthMismatch(count: Int, dimension: Int, got: Int)
    case nonFinite(row: Int, column: Int, value: Double)
    case dimensionMismatch(expected: Int, got: Int, what: String)
    case tooFewRows(count: Int)
    case invalidK(k: Int, dimension: Int, count: Int)
    case eigenSolverFailed(info: Int)
    case lapackFailed(routine: String, info: Int)
    case badFile(path: String, reason: String)
    case nonFiniteOnDevice(count: Int)
    case notConverged(products: Int, component: Int, bound: Double, gap: Double, tolerance: Double)
    case deviceResultRejected(component: Int, bound: Double)

    public var description: String {
        switch self {
        case .emptyDimension:
            return "PCA: feature vectors must have at least one component"
        case let .rowLengthMismatch(row, expected, got):
            return "PCA: row \(row) has \(got) values, expected \(expected) like the rows before it"
        case let .flatLengthMismatch(count, dimension, got):
            return "PCA: a batch of \(count) rows of \(dimension) values needs \(count * dimension) numbers, got \(got)"
        case let .nonFinite(row, column, value):
            return "PCA: row \(row) has a non-finite value (\(value)) at column \(column)"
        case let .dimensionMismatch(expected, got, what):
            return "PCA: \(what) has dimension \(got), expected \(expected)"
        case let .tooFewRows(count):
            return "PCA: need at least 2 rows to fit, got \(count)"
        case let .invalidK(k, dimension, count):
            return "PCA: k = \(k) is not possible with \(dimension)-d features and \(count) rows (need 1 ≤ k ≤ min(d, n − 1))"
        case let .eigenSolverFailed(info):
            return "PCA: LAPACK dsyevr failed to converge (info = \(info))"
        case let .lapackFailed(routine, info):
            return "PCA: LAPACK \(routine) failed (info = \(info))"
        case let .badFile(path, reason):
            return "PCA: \(path): \(reason)"
        case let .notConverged(products, component, bound, gap, tolerance):
            return "PCA: the subspace iteration could not certify component \(component + 1) after \(products) products "
                + "(angle bound \(bound), needed ≤ \(tolerance); its eigenvalue's gap to the nearest other is "
                + "\(gap) of the largest\(gap < 1e-9 ? ", a repeated eigenvalue" : ""))"
        case let .deviceResultRejected(component, bound):
            return "PCA: the GPU's components failed the host's float64 check (component \(component + 1): angle bound \(bound)): its products are wrong"
        case let .nonFiniteOnDevice(count):
            return "PCA: the \(count) rows accumulated on the GPU hold a NaN or infinite value (rows are not checked one by one there)"
        }
    }
}

extension PCAError {
    /// `AtomicFile.write`, its failure reported as `badFile` like every other PCA file error.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        do { try AtomicFile.write(data, to: url) } catch let error as AtomicFileError {
            throw PCAError.badFile(path: error.path, reason: error.reason)
        }
    }
}
