import Foundation
import PCA
import Pipeline
import Testing
import TestSupport

/// One fixture with its statistics and fits, computed once and shared by the tests below.
struct PCAOracleCase: Sendable {
    let fixture: PCAFixture
    let single: PCAStatistics
    let sharded: PCAStatistics
    let singleModel: PCAModel
    let shardedModel: PCAModel

    init(_ name: String) throws {
        fixture = try PCAFixture(name)
        single = try PCAOracleTests.statistics(fixture, shards: false)
        sharded = try PCAOracleTests.statistics(fixture, shards: true)
        singleModel = try PCAModel.fit(single, k: fixture.meta.k)
        shardedModel = try PCAModel.fit(sharded, k: fixture.meta.k)
    }

    func model(shards: Bool) -> PCAModel { shards ? shardedModel : singleModel }

    private static let small = Result { try PCAOracleCase("small") }
    private static let large = Result { try PCAOracleCase("large") }
    static func named(_ name: String) throws -> PCAOracleCase { try (name == "small" ? small : large).get() }
}

/// The CPU fit against numpy/LAPACK, scikit-learn and Spark ML on the same float32 features.
@Suite struct PCAOracleTests {
    static let cases = ["small", "large"]

    /// Statistics of the whole fixture in one `add` call, or in 4 uneven shards saved to disk,
    /// loaded back and merged (as `imgfeat pca fit` does with shard files).
    static func statistics(_ f: PCAFixture, shards: Bool) throws -> PCAStatistics {
        var whole = try PCAStatistics(dimension: f.meta.d)
        guard shards else {
            try whole.add(rows: f.features, count: f.meta.n)
            return whole
        }
        let n = f.meta.n
        let cuts = [0, n / 7, n / 2 + 3, n - 1, n]  // uneven, one shard of a single row
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pca-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for s in 0..<4 {
            var shard = try PCAStatistics(dimension: f.meta.d)
            // Several add calls per shard, batch boundaries unrelated to the shard cuts.
            var start = cuts[s]
            while start < cuts[s + 1] {
                let end = min(start + 173, cuts[s + 1])
                try shard.add(rows: f.rows(start..<end), count: end - start)
                start = end
            }
            try shard.save(to: folder.appendingPathComponent("part-\(s).stats"))
        }
        for s in 0..<4 {
            try whole.merge(try PCAStatistics.load(from: folder.appendingPathComponent("part-\(s).stats")))
        }
        return whole
    }

    @Test(arguments: cases, [false, true])
    func explainedVarianceAndEigenvalues(name: String, shards: Bool) throws {
        let c = try PCAOracleCase.named(name)
        let (f, model) = (c.fixture, c.model(shards: shards))
        #expect(model.count == f.meta.n && model.k == f.meta.k && model.dimension == f.meta.d)
        for oracle in ["spark", "sklearn", "numpy"] {
            let expected = try f.doubles("\(oracle)_explained_variance.f64")
            let bad = pcaFirstAbsoluteMismatch(model.explainedVariance, expected, tolerance: 1e-6)
            #expect(bad == nil, "\(name) \(oracle) explained variance: first mismatch \(String(describing: bad))")
        }
        let eigenvalues = try f.doubles("numpy_eigenvalues.f64")
        let bad = pcaFirstMismatch(model.eigenvalues, eigenvalues, relativeTolerance: 1e-9)
        #expect(bad == nil, "\(name) eigenvalues vs numpy: first mismatch \(String(describing: bad))")
        let mean = try f.doubles("numpy_mean.f64")
        let badMean = pcaFirstMismatch(model.mean, mean, relativeTolerance: 1e-12)
        #expect(badMean == nil, "\(name) mean vs numpy: first mismatch \(String(describing: badMean))")
    }

    @Test(arguments: cases, [false, true])
    func componentsMatchEveryOracleUpToSign(name: String, shards: Bool) throws {
        let c = try PCAOracleCase.named(name)
        let (f, model) = (c.fixture, c.model(shards: shards))
        let (d, k) = (f.meta.d, f.meta.k)
        for oracle in ["spark", "sklearn", "numpy"] {
            let expected = try f.doubles("\(oracle)_components.f64")
            for j in 0..<k {
                let ours = model.component(j)
                let theirs = pcaColumn(expected, rows: d, cols: k, j)
                let s = pcaAlignment(ours, theirs)
                let bad = pcaFirstMismatch(ours, theirs.map { $0 * s }, relativeTolerance: 1e-4)
                #expect(bad == nil, "\(name) \(oracle) component \(j): first mismatch \(String(describing: bad))")
            }
        }
    }

    @Test(arguments: cases)
    func componentsFollowTheSignRule(name: String) throws {
        let model = try PCAOracleCase.named(name).singleModel
        for j in 0..<model.k {
            let c = model.component(j)
            let maxAbs = c.map(abs).max() ?? 0
            let first = c.firstIndex { abs($0) == maxAbs } ?? 0
            #expect(c[first] > 0, "\(name) component \(j): entry \(first) = \(c[first]) should be positive")
        }
    }

    @Test(arguments: cases, [false, true])
    func projectionsMatchSparkAndScikitLearn(name: String, center: Bool) throws {
        let c = try PCAOracleCase.named(name)
        let f = c.fixture
        let (n, d, k) = (f.meta.n, f.meta.d, f.meta.k)
        var model = c.shardedModel
        model.center = center
        let oracle = center ? "sklearn" : "spark"
        let components = try f.doubles("\(oracle)_components.f64")
        let expected = try f.doubles("\(oracle)_projection.f64")
        let got = try model.transform(rows: f.features, count: n)
        #expect(got.count == n * k)
        for j in 0..<k {
            let s = pcaAlignment(model.component(j), pcaColumn(components, rows: d, cols: k, j))
            let bad = pcaFirstMismatch(pcaColumn(got, rows: n, cols: k, j),
                                    pcaColumn(expected, rows: n, cols: k, j).map { $0 * s }, relativeTolerance: 1e-4)
            #expect(bad == nil, "\(name) \(oracle) projection column \(j): first mismatch \(String(describing: bad))")
        }
    }

    @Test(arguments: cases)
    func notebookPrintout(name: String) throws {
        let f = try PCAFixture(name)
        let sparkValues = try f.doubles("spark_explained_variance.f64")
        #expect(PCAReport.explainedVarianceText(sparkValues) == (try f.text("notebook_print.txt")))
    }

    @Test func batchingAndShardingGiveTheSameStatistics() throws {
        let c = try PCAOracleCase.named("small")
        let (single, sharded) = (c.single, c.sharded)
        #expect(sharded.count == single.count)
        let badMean = pcaFirstMismatch(sharded.mean, single.mean, relativeTolerance: 1e-12)
        #expect(badMean == nil, "mean: first mismatch \(String(describing: badMean))")
        let badM = pcaFirstMismatch(sharded.comoment, single.comoment, relativeTolerance: 1e-11)
        #expect(badM == nil, "co-moment: first mismatch \(String(describing: badM))")
    }
}
