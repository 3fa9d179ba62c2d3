import Common
import Foundation

/// Root of the repository, found from this source file's location.
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Folder of committed test fixtures.
public let fixturesDirectory: URL = repositoryRoot.appendingPathComponent("Tests/Fixtures")

/// Folder of fixtures generated at test time by scripts/fixtures (not committed).
public let generatedFixturesDirectory: URL = repositoryRoot.appendingPathComponent(".fixtures")


/// The first index where `got` and `expected` differ by more than `relativeTolerance` times
/// max |expected|, with both values; nil when they agree (lengths must match).
public func firstMismatch(_ got: [Float], _ expected: [Float], relativeTolerance: Float)
    -> (index: Int, expected: Float, got: Float)? {
    precondition(got.count == expected.count, "length \(got.count) vs \(expected.count)")
    let scale = max(expected.map { abs($0) }.max() ?? 0, Float.leastNormalMagnitude)
    for i in 0..<got.count where !(abs(got[i] - expected[i]) <= relativeTolerance * scale) {
        return (i, expected[i], got[i])
    }
    return nil
}

/// Deterministic pseudo-random numbers (SplitMix64) so test inputs are reproducible from a seed.
public typealias SeededGenerator = SplitMix64
