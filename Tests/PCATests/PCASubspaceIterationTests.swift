import Foundation
import PCA
import Pipeline
import Testing
import TestSupport

/// The GPU fit's algorithm through its host face (`fitBySubspaceIteration`: the same iteration, its
/// products in float64 BLAS) against LAPACK: on the Spark fixtures, on seeded spectra of awkward d and
/// k, and on the spectra where it must refuse (repeated, nearly repeated, ill-conditioned, zero), where
/// the convergence test has to fail rather than return some vector of an eigenspace.
@Suite struct PCASubspaceIterationTests {
    static let shapes: [(d: Int, k: Int)] = [(1, 1), (3, 1), (3, 3), (13, 1), (13, 3), (13, 13), (127, 1), (127, 3),
                                              (127, 127), (1280, 1), (1280, 3), (1280, 50)]

    @Test(arguments: shapes)
    func matchesLAPACKOnSeededSpectra(d: Int, k: Int) throws {
        let statistics = try spectrumStatistics(SpectrumMatrix.geometric(d, decay: k >= 50 ? 0.95 : d >= 1000 ? 0.7 : 0.9, floor: 1e-4),
                                                count: 2 * d + 5, seed: UInt64(d * 31 + k))
        let model = try PCAModel.fitBySubspaceIteration(statistics, k: k)
        #expect(model.method == .hostSubspaceIteration && model.fittedOn == "host")
        let problems = subspaceFitProblems(model, against: try PCAModel.fit(statistics, k: k), what: "d \(d) k \(k)")
        #expect(problems.isEmpty, "\(problems)")
    }

    /// The realistic case: the 2000×1280 Spark fixture at k = 50, and the 600×64 one at k = 10.
    @Test(arguments: ["small", "large"])
    func matchesLAPACKAndSparkOnTheFixtures(name: String) throws {
        let oracle = try PCAOracleCase.named(name)
        let k = oracle.fixture.meta.k
        let model = try PCAModel.fitBySubspaceIteration(oracle.single, k: k)
        let problems = subspaceFitProblems(model, against: oracle.singleModel, what: name)
        #expect(problems.isEmpty, "\(problems)")
        let spark = try oracle.fixture.doubles("spark_explained_variance.f64")
        let bad = pcaFirstAbsoluteMismatch(model.explainedVariance, Array(spark.prefix(k)), tolerance: 1e-6)
        #expect(bad == nil, "\(name) explained variance vs Spark: \(String(describing: bad))")
    }

    /// Rank-deficient covariance (fewer rows than dimensions): zero eigenvalues below the kept ones.
    @Test(arguments: [3, 19])
    func rankDeficientCovariance(k: Int) throws {
        let d = 127, rows = 20
        var g = SeededGenerator(seed: 77)
        let data = (0..<(rows * d)).map { i in Float.random(in: -1...1, using: &g) * Float(1 + i % 5) + 3 }
        var statistics = try PCAStatistics(dimension: d)
        try statistics.add(rows: data, count: rows)
        let model = try PCAModel.fitBySubspaceIteration(statistics, k: k)
        let problems = subspaceFitProblems(model, against: try PCAModel.fit(statistics, k: k), what: "rank 19, k \(k)")
        #expect(problems.isEmpty, "\(problems)")
    }

    /// Spectra whose components the iteration cannot pin down: it must throw `notConverged` (the
    /// Vulkan fit then falls back to LAPACK), never return.
    static let refused: [(name: String, values: [Double], k: Int)] = [
        ("repeated at the k boundary", [5, 4, 3, 3] + SpectrumMatrix.geometric(20, decay: 0.5), 3),
        ("repeated inside the top k", [5, 4, 4, 2] + SpectrumMatrix.geometric(20, decay: 0.5), 3),
        ("nearly repeated (1e-13)", [5, 4, 3, 3 - 3e-13] + SpectrumMatrix.geometric(20, decay: 0.5), 4),
        ("ill-conditioned, k = d", SpectrumMatrix.geometric(13, decay: 0.1), 13),
        ("zero covariance", [Double](repeating: 0, count: 9), 1),
    ]

    @Test(arguments: refused.indices)
    func refusesWhatItCannotCertify(index: Int) throws {
        let c = Self.refused[index]
        let statistics = try spectrumStatistics(c.values, count: 100, seed: UInt64(index + 5))
        #expect(throws: PCAError.self, "\(c.name)") {
            do { _ = try PCAModel.fitBySubspaceIteration(statistics, k: c.k) } catch let error as PCAError {
                guard case .notConverged = error else { Issue.record("\(c.name): \(error)"); return }
                throw error
            }
        }
    }

    /// The same test failing for lack of products: one product is not enough for d = 127, k = 3.
    @Test func stopsAfterMaxProducts() throws {
        let statistics = try spectrumStatistics(SpectrumMatrix.geometric(127, decay: 0.95), count: 300, seed: 3)
        do {
            _ = try PCAModel.fitBySubspaceIteration(statistics, k: 3, maxProducts: 1)
            Issue.record("one product certified d 127 k 3")
        } catch let PCAError.notConverged(products, _, bound, _, tolerance) {
            #expect(products == 1 && bound > tolerance, "products \(products) bound \(bound)")
        }
    }
}

extension PCASubspaceIterationTests {
    /// A device whose products are consistently wrong (C + ε·S): its iteration converges, to another
    /// matrix's eigenvectors, and the host's float64 check against C must reject it; a tiny ε
    /// (float-float's own size) passes.
    @Test func hostCheckRejectsWrongProducts() throws {
        let statistics = try spectrumStatistics(SpectrumMatrix.geometric(64, decay: 0.85), count: 200, seed: 21)
        #expect(throws: PCAError.self) {
            do { _ = try PCAModel.fitBySubspaceIteration(statistics, k: 5, productError: 1e-4) } catch let error as PCAError {
                guard case .deviceResultRejected = error else { Issue.record("ε 1e-4: \(error)"); return }
                throw error
            }
        }
        let close = try PCAModel.fitBySubspaceIteration(statistics, k: 5, productError: 1e-14)
        let problems = subspaceFitProblems(close, against: try PCAModel.fit(statistics, k: 5), what: "ε 1e-14")
        #expect(problems.isEmpty, "\(problems)")
    }
}

extension PCASubspaceIterationTests {
    /// `pca fit --device`: auto and cpu fit with LAPACK on the host (Spark's signs), vulkan on the
    /// device it names; `fit(on: .host)` is the LAPACK fit, with no note.
    @Test func deviceChoices() throws {
        let setup = try EnvironmentSettings(environment: ["IMGFEAT_VULKAN_VALIDATION": "1"]).vulkan
        for choice in [PCADeviceChoice.auto, .cpu] {
            guard case .host = choice.fitDevice(setup, deviceIndex: 2) else {
                Issue.record("--device \(choice.rawValue) does not fit on the host")
                continue
            }
        }
        guard case .vulkan(let options) = PCADeviceChoice.vulkan.fitDevice(setup, deviceIndex: 2) else {
            Issue.record("--device vulkan does not fit on the device")
            return
        }
        #expect(options.deviceIndex == 2 && options.validation)
        let statistics = try spectrumStatistics(SpectrumMatrix.geometric(13, decay: 0.8), count: 40, seed: 8)
        let (model, note) = try PCAModel.fit(statistics, k: 3, on: .host)
        #expect(model == (try PCAModel.fit(statistics, k: 3)) && note == nil && model.method == .lapackDgesdd)
    }
}
