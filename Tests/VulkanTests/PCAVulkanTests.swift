import Foundation
import PCA
import Testing
import TestSupport
import VulkanRuntime

/// pca_syrk.comp (through PCAStatistics.Vulkan) against the CPU statistics, and the GPU-accumulated
/// fit against Spark ML's PCA on the oracle fixture.
@Suite struct PCAVulkanTests {
    static func randomRows(_ n: Int, _ d: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        // An offset mean, so that the shift and the float-float centring matter.
        return (0..<(n * d)).map { i in Float(i % d) * 0.25 + 3 + Float.random(in: -1...1, using: &g) }
    }

    static func firstMismatch(_ got: [Double], _ expected: [Double], tolerance: Double) -> (Int, Double, Double)? {
        let scale = max(expected.map(abs).max() ?? 0, .leastNormalMagnitude)
        for i in expected.indices where !(abs(got[i] - expected[i]) <= tolerance * scale) {
            return (i, expected[i], got[i])
        }
        return nil
    }

    /// Awkward shapes, split into two batches (the second one read from a row offset of its buffer).
    @Test(arguments: [(rows: 1, d: 1), (rows: 3, d: 13), (rows: 127, d: 3), (rows: 13, d: 127), (rows: 40, d: 17)])
    func syrkMatchesCPUStatistics(rows: Int, d: Int) throws {
        let context = try vulkanContext()
        let data = Self.randomRows(rows, d, seed: UInt64(rows * 1000 + d))
        var cpu = try PCAStatistics(dimension: d)
        try cpu.add(rows: data, count: rows)
        let gpu = try PCAStatistics.Vulkan(context: context, dimension: d)
        let split = rows / 2
        try gpu.add(rows: Array(data[0..<(split * d)]), count: split)
        // Second batch from a buffer whose first row is garbage: exercises firstRow.
        let tail = [Float](repeating: .nan, count: d) + Array(data[(split * d)...])
        let buffer = try Buffer(context: context, size: tail.count * 4, location: .upload)
        try buffer.write(tail)
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        try gpu.record(sequence, features: buffer, rows: rows - split, firstRow: 1)
        try sequence.run()
        let got = try gpu.statistics()
        #expect(got.count == rows)
        let badMean = Self.firstMismatch(got.mean, cpu.mean, tolerance: 1e-12)
        #expect(badMean == nil, "mean (rows \(rows), d \(d)): first mismatch (index, expected, got) \(String(describing: badMean))")
        let badM = Self.firstMismatch(got.comoment, cpu.comoment, tolerance: 1e-9)
        #expect(badM == nil, "co-moment (rows \(rows), d \(d)): first mismatch (index, expected, got) \(String(describing: badM))")
        let messages = try validationMessages()
        #expect(messages.isEmpty, "validation: \(messages)")
    }

    @Test func nonFiniteRowsAreReported() throws {
        let gpu = try PCAStatistics.Vulkan(context: try vulkanContext(), dimension: 4)
        var data = Self.randomRows(5, 4, seed: 9)
        data[13] = .infinity
        try gpu.add(rows: data, count: 5)
        #expect(throws: PCAError.nonFiniteOnDevice(count: 5)) { try gpu.statistics() }
    }

    /// The small oracle case of scripts/fixtures/pca.py: 600×64 features, k = 10, and Spark's results.
    struct SmallCase {
        let n = 600, d = 64, k = 10
        let features: [Float]
        let sparkExplainedVariance: [Double]
        let sparkComponents: [Double]  // d×k

        init() throws {
            let folder = generatedFixturesDirectory.appendingPathComponent("pca/small")
            func load(_ name: String) throws -> Data {
                guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else {
                    throw PCAError.badFile(path: folder.appendingPathComponent(name).path,
                                           reason: "missing: run scripts/fixtures/generate.sh")
                }
                return data
            }
            func doubles(_ name: String) throws -> [Double] {
                let raw = try load(name)
                return raw.withUnsafeBytes { b in
                    (0..<(raw.count / 8)).map { Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
                }
            }
            let raw = try load("features.f32")
            features = raw.withUnsafeBytes { b in
                (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            sparkExplainedVariance = try doubles("spark_explained_variance.f64")
            sparkComponents = try doubles("spark_components.f64")
        }

        /// Spark's explained variance within 1e-6, its components within 1e-4 relative up to sign.
        func expectMatchesSpark(_ model: PCAModel, _ what: String) {
            for j in 0..<k {
                #expect(abs(model.explainedVariance[j] - sparkExplainedVariance[j]) <= 1e-6,
                        "\(what) explained variance \(j): expected \(sparkExplainedVariance[j]), got \(model.explainedVariance[j])")
                let ours = model.component(j)
                let theirs = (0..<d).map { sparkComponents[$0 * k + j] }
                let sign: Double = zip(ours, theirs).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1 : 1
                let bad = PCAVulkanTests.firstMismatch(ours, theirs.map { $0 * sign }, tolerance: 1e-4)
                #expect(bad == nil, "\(what) component \(j): first mismatch (index, expected, got) \(String(describing: bad))")
            }
        }
    }

    /// The small case accumulated on the GPU in batches and fitted on the CPU.
    @Test func gpuStatisticsFitMatchesSpark() throws {
        let c = try SmallCase()
        #expect(c.features.count == c.n * c.d)
        let gpu = try PCAStatistics.Vulkan(context: try vulkanContext(), dimension: c.d)
        for start in stride(from: 0, to: c.n, by: 256) {
            let end = min(start + 256, c.n)
            try gpu.add(rows: Array(c.features[(start * c.d)..<(end * c.d)]), count: end - start)
        }
        c.expectMatchesSpark(try PCAModel.fit(try gpu.statistics(), k: c.k), "GPU statistics")
    }

    /// The GPU subspace solver on the small case: Spark's values (up to sign), and LAPACK's (the CPU
    /// fit) under the oracle check of issue 17.7 (subspaceFitProblems: values, components up to sign,
    /// the GPU path's sign rule).
    @Test func gpuSolverMatchesSparkAndLAPACK() throws {
        let c = try SmallCase()
        var statistics = try PCAStatistics(dimension: c.d)
        try statistics.add(rows: c.features, count: c.n)
        let gpu = try PCAModel.fit(statistics, k: c.k, context: try vulkanContext())
        c.expectMatchesSpark(gpu, "GPU solver")
        let cpu = try PCAModel.fit(statistics, k: c.k)
        #expect(gpu.signRule == .largestAbsEntryPositive && cpu.signRule == .sparkDgesdd)
        let problems = subspaceFitProblems(gpu, against: cpu, what: "600×64 k 10")
        #expect(problems.isEmpty, "\(problems)")
        let badValues = Self.firstMismatch(Array(gpu.eigenvalues.prefix(c.k)), Array(cpu.eigenvalues.prefix(c.k)), tolerance: 1e-9)
        #expect(badValues == nil, "eigenvalues vs LAPACK: first mismatch \(String(describing: badValues))")
    }
}
