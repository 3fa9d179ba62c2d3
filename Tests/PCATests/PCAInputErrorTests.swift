import Foundation
import PCA
import Testing
import TestSupport

/// Bad input is refused with an error that names the cause, and leaves statistics untouched.
@Suite struct PCAInputErrorTests {
    static func randomRows(_ n: Int, _ d: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &g) }
    }

    static func statistics(_ n: Int, _ d: Int) throws -> PCAStatistics {
        var s = try PCAStatistics(dimension: d)
        try s.add(rows: randomRows(n, d, seed: 7), count: n)
        return s
    }

    @Test(arguments: [(rows: 20, d: 8, k: 9), (rows: 5, d: 8, k: 5), (rows: 20, d: 8, k: 0), (rows: 20, d: 3, k: -1)])
    func impossibleK(rows: Int, d: Int, k: Int) throws {
        let s = try Self.statistics(rows, d)
        #expect(throws: PCAError.invalidK(k: k, dimension: d, count: rows)) { try PCAModel.fit(s, k: k) }
        #expect(PCAError.invalidK(k: k, dimension: d, count: rows).description.contains("k = \(k)"))
    }

    @Test(arguments: [0, 1])
    func fewerThanTwoRows(rows: Int) throws {
        let s = try Self.statistics(rows, 4)
        #expect(throws: PCAError.tooFewRows(count: rows)) { try PCAModel.fit(s, k: 1) }
    }

    @Test(arguments: [Float.nan, Float.infinity, -Float.infinity])
    func nonFiniteValueNamesRowAndColumn(value: Float) throws {
        var s = try Self.statistics(10, 5)  // rows 0..9 already in
        var batch = Self.randomRows(13, 5, seed: 3)
        batch[7 * 5 + 2] = value
        let before = s
        do {
            try s.add(rows: batch, count: 13)
            Issue.record("a batch holding \(value) was accepted")
        } catch let error as PCAError {
            // Matched by pattern: NaN never compares equal, so the whole error cannot be compared.
            guard case let .nonFinite(row, column, got) = error else { Issue.record("got \(error)"); return }
            #expect(row == 17 && column == 2 && (got == Double(value) || (got.isNaN && value.isNaN)))
        }
        #expect(s == before, "a refused batch must not change the statistics")
        let text = PCAError.nonFinite(row: 17, column: 2, value: Double(value)).description
        #expect(text.contains("row 17") && text.contains("column 2"))
    }

    @Test func nonFiniteValueInTransformNamesRow() throws {
        let model = try PCAModel.fit(try Self.statistics(30, 4), k: 2)
        var rows = Self.randomRows(3, 4, seed: 5)
        rows[2 * 4 + 1] = .nan
        #expect(throws: PCAError.self) { try model.transform(rows: rows, count: 3) }
        do { _ = try model.transform(rows: rows, count: 3) } catch let error as PCAError {
            guard case let .nonFinite(row, column, _) = error else { Issue.record("got \(error)"); return }
            #expect(row == 2 && column == 1)
        }
    }

    @Test func vectorsOfDifferentLengths() throws {
        var s = try PCAStatistics(dimension: 3)
        #expect(throws: PCAError.rowLengthMismatch(row: 1, expected: 3, got: 2)) {
            try s.add(vectors: [[1, 2, 3], [4, 5], [6, 7, 8]])
        }
        #expect(s.count == 0)
        #expect(throws: PCAError.flatLengthMismatch(count: 2, dimension: 3, got: 5)) {
            try s.add(rows: [Float](repeating: 1, count: 5), count: 2)
        }
        let model = try PCAModel.fit(try Self.statistics(10, 3), k: 1)
        #expect(throws: PCAError.flatLengthMismatch(count: 1, dimension: 3, got: 4)) {
            try model.transform(rows: [Float](repeating: 1, count: 4), count: 1)
        }
    }

    @Test func mergingDifferentDimensions() throws {
        var a = try Self.statistics(5, 3)
        let b = try Self.statistics(5, 4)
        #expect(throws: PCAError.dimensionMismatch(expected: 3, got: 4, what: "merged statistics")) { try a.merge(b) }
        #expect(throws: PCAError.emptyDimension) { try PCAStatistics(dimension: 0) }
    }

    @Test func everyDescriptionIsOneLine() {
        let errors: [PCAError] = [.emptyDimension, .rowLengthMismatch(row: 1, expected: 2, got: 3),
                                  .flatLengthMismatch(count: 1, dimension: 2, got: 3),
                                  .nonFinite(row: 1, column: 2, value: .nan),
                                  .dimensionMismatch(expected: 1, got: 2, what: "x"), .tooFewRows(count: 1),
                                  .invalidK(k: 3, dimension: 2, count: 9), .eigenSolverFailed(info: 3),
                                  .badFile(path: "/x", reason: "y")]
        for e in errors {
            #expect(!e.description.isEmpty && !e.description.contains("\n"), "\(e)")
        }
    }
}
