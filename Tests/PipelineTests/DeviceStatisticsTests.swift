import Foundation
import PCA
import Pipeline
import Testing
import TestSupport

/// `imgfeat run --device vulkan` gathers the PCA statistics with the SYRK shader on each feature batch
/// while it is on the device; they must be the statistics of the rows it wrote.
@Suite(.serialized) struct DeviceStatisticsTests {
    /// Largest |got − expected| over the largest |expected|, with the index where it occurs.
    static func worst(_ got: [Double], _ expected: [Double]) -> (relative: Double, index: Int) {
        let scale = max(expected.map(abs).max() ?? 0, .leastNormalMagnitude)
        var result = (relative: 0.0, index: -1)
        for i in expected.indices {
            let difference = abs(got[i] - expected[i]) / scale
            if !(difference <= result.relative) { result = (difference, i) }
        }
        return result
    }

    @Test func vulkanRunStatisticsAreThoseOfTheWrittenFeatures() throws {
        let input = try FeaturizeRunTests.makeInput()
        let out = try temporaryDirectory().appendingPathComponent("run")
        defer { try? FileManager.default.removeItem(at: input.root); try? FileManager.default.removeItem(at: out) }
        var options = try FeaturizeRunTests.options(input.root, out, device: .vulkan, seed: 4)
        options.partRows = 4
        let summary = try Commands.run(options, pca: PCAOptions(k: 3))
        #expect(summary.featurized == input.good.count && summary.errors == 1)
        let gatheredOn = try #require(summary.pcaStatisticsOn)
        #expect(gatheredOn != "host", "a Vulkan run gathered its statistics on the host")

        let layout = OutputLayout.forRun(out)
        let saved = try PCAStatistics.load(from: layout.statistics)
        let rows = try FeaturizeRunTests.rows(layout.featuresDirectory)
        let dimension = try #require(rows.values.first?.1.count)
        var expected = try PCAStatistics(dimension: dimension)
        for path in rows.keys.sorted() { try expected.add(rows: rows[path]!.1, count: 1) }

        #expect(saved.count == expected.count)
        let mean = Self.worst(saved.mean, expected.mean)
        #expect(mean.relative <= 1e-6, "mean[\(mean.index)]: expected \(expected.mean[max(mean.index, 0)]), got \(saved.mean[max(mean.index, 0)])")
        let comoment = Self.worst(saved.comoment, expected.comoment)
        #expect(comoment.relative <= 1e-5,
                "co-moment[\(comoment.index)]: expected \(expected.comoment[max(comoment.index, 0)]), got \(saved.comoment[max(comoment.index, 0)])")

        // The model was fitted on the device (issue 17.7), and is the LAPACK fit of those statistics up
        // to the device's sign rule; summary.json and MODEL.json say where and how.
        let model = try PCAModel.load(from: layout.pcaModel)
        let reference = try PCAModel.fit(expected, k: 3)
        #expect(summary.pcaFitNote == nil, "the device fit fell back: \(summary.pcaFitNote ?? "")")
        #expect(model.method == .vulkanSubspaceIteration && model.fittedOn == gatheredOn && summary.pcaFittedOn == gatheredOn)
        #expect(summary.pcaMethod == "vulkan-subspace-iteration" && summary.text.contains("pca fit: on \(gatheredOn)"))
        let eigen = Self.worst(Array(model.eigenvalues.prefix(3)), Array(reference.eigenvalues.prefix(3)))
        #expect(eigen.relative <= 1e-5, "eigenvalues \(model.eigenvalues) vs \(reference.eigenvalues)")
        // Against the fit of the saved statistics (the same ones the run fitted): the oracle check.
        let problems = subspaceFitProblems(model, against: try PCAModel.fit(saved, k: 3), what: "run --device vulkan")
        #expect(problems.isEmpty, "\(problems)")
    }
}
