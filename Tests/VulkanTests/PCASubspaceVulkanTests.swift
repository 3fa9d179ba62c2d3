import Foundation
import PCA
import Shaders
import Testing
import TestSupport
import VulkanRuntime

/// The GPU eigen step: `pca_subspace.comp` against a float64 product, and the Vulkan fit against
/// LAPACK (the CPU fit) on seeded spectra of awkward d and k and on the spectra it must refuse, where
/// `fit(on: .vulkan)` falls back to LAPACK with a note.
@Suite struct PCASubspaceVulkanTests {
    /// Z = C·Q in float-float on awkward shapes; Z poisoned with NaN so an unwritten entry fails.
    @Test(arguments: [(d: 1, b: 1), (d: 3, b: 13), (d: 13, b: 3), (d: 127, b: 17), (d: 40, b: 100)])
    func productMatchesFloat64(d: Int, b: Int) throws {
        let context = try vulkanContext()
        var g = SeededGenerator(seed: UInt64(d * 1000 + b))
        let c = (0..<(d * d)).map { _ in Double.random(in: -1...1, using: &g) }
        let q = (0..<(d * b)).map { _ in Double.random(in: -1...1, using: &g) }
        func pairs(_ values: [Double]) -> [Float] {
            values.flatMap { v -> [Float] in let hi = Float(v); return [hi, Float(v - Double(hi))] }
        }
        let bufferC = try Buffer(context: context, size: d * d * 8, location: .upload)
        try bufferC.write(pairs(c))
        let bufferQ = try Buffer(context: context, size: d * b * 8, location: .upload)
        try bufferQ.write(pairs(q))
        let bufferZ = try Buffer(context: context, size: (d * b + 1) * 8, location: .readback)
        let pipeline = try ComputePipeline(context: context, name: "pca_subspace", source: ShaderSource.named("pca_subspace"),
                                           bindingCount: 3, pushConstantBytes: 8)
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        sequence.fill(bufferZ, with: Float.nan.bitPattern)
        sequence.barrier()
        try sequence.dispatch(pipeline, [BufferBinding(bufferC), BufferBinding(bufferQ), BufferBinding(bufferZ)],
                              push: [UInt32(d), UInt32(b)], groups: ((b + 15) / 16, (d + 15) / 16, 1))
        sequence.barrier()
        try sequence.run()
        let raw = try bufferZ.read(Float.self, count: 2 * (d * b + 1))
        let got = (0..<(d * b)).map { Double(raw[2 * $0]) + Double(raw[2 * $0 + 1]) }
        var expected = [Double](repeating: 0, count: d * b)
        for i in 0..<d {
            for j in 0..<b {
                var sum = 0.0
                for l in 0..<d { sum += c[i * d + l] * q[l * b + j] }
                expected[i * b + j] = sum
            }
        }
        // float-float: about 2^-44 per operation, so 1e-11 of the row's scale leaves room for d terms.
        let scale = Double(d)
        let bad = expected.indices.first { !(abs(got[$0] - expected[$0]) <= 1e-11 * scale) }
        #expect(bad == nil, "d \(d) b \(b): first mismatch at \(bad ?? -1): expected \(bad.map { expected[$0] } ?? 0), got \(bad.map { got[$0] } ?? 0)")
        #expect(raw[2 * d * b].isNaN, "d \(d) b \(b): the guard entry after Z was written")
        let messages = try validationMessages()
        #expect(messages.isEmpty, "validation: \(messages)")
    }

    /// Awkward d and k, k = d where lavapipe's time allows (d = 1280 stops at k = 3 here; the host face
    /// in PCATests runs 1280 at k = 50, and the bench times it on the device).
    @Test(arguments: [(1, 1), (3, 1), (3, 3), (13, 1), (13, 3), (13, 13), (127, 1), (127, 3), (127, 127), (1280, 1), (1280, 3)])
    func matchesLAPACKOnSeededSpectra(d: Int, k: Int) throws {
        let statistics = try spectrumStatistics(SpectrumMatrix.geometric(d, decay: k >= 50 ? 0.95 : d >= 1000 ? 0.7 : 0.9, floor: 1e-4),
                                                count: 2 * d + 5, seed: UInt64(d * 31 + k))
        let context = try vulkanContext()
        let model = try PCAModel.fit(statistics, k: k, context: context)
        #expect(model.method == .vulkanSubspaceIteration && model.fittedOn == context.info.name)
        let problems = subspaceFitProblems(model, against: try PCAModel.fit(statistics, k: k), what: "d \(d) k \(k)")
        #expect(problems.isEmpty, "\(problems)")
        let messages = try validationMessages()
        #expect(messages.isEmpty, "validation: \(messages)")
    }

    /// Where the iteration cannot certify (a repeated eigenvalue at the k boundary; eigenvalues down at
    /// 1e-12 of the largest, below float-float's floor): the Vulkan fit throws `notConverged`, and
    /// `fit(on: .vulkan)` returns LAPACK's model with a note saying so.
    @Test(arguments: [(name: "repeated at the k boundary", values: [5, 4, 3, 3] + SpectrumMatrix.geometric(20, decay: 0.5), k: 3),
                      (name: "ill-conditioned, k = d", values: SpectrumMatrix.geometric(13, decay: 0.1), k: 13)])
    func refusesAndFallsBackToLAPACK(name: String, values: [Double], k: Int) throws {
        let statistics = try spectrumStatistics(values, count: 100, seed: 11)
        do {
            _ = try PCAModel.fit(statistics, k: k, context: try vulkanContext())
            Issue.record("\(name): the Vulkan fit certified components it cannot know")
        } catch PCAError.notConverged {}
        let (model, note) = try PCAModel.fit(statistics, k: k, on: .vulkan(VulkanOptions(validation: true)))
        #expect(model == (try PCAModel.fit(statistics, k: k)), "\(name): the fallback is not LAPACK's fit")
        #expect(model.method == .lapackDgesdd && model.fittedOn == "host")
        #expect(note?.contains("fitted on the host with LAPACK instead") == true, "\(name): note \(note ?? "nil")")
    }

    /// A fit that converges is the device's, with no note.
    @Test func deviceFitHasNoNote() throws {
        let statistics = try spectrumStatistics(SpectrumMatrix.geometric(40, decay: 0.8), count: 90, seed: 12)
        let (model, note) = try PCAModel.fit(statistics, k: 5, on: .vulkan(VulkanOptions(validation: true)))
        #expect(note == nil && model.method == .vulkanSubspaceIteration && model.fittedOn != "host")
    }
}
