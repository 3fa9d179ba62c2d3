import Model
import Testing
import TestSupport

/// The whole fast CPU network against the reference engine, on seeded random weights and inputs.
@Suite struct FastCPUEngineTests {
    static func randomInput(batch: Int, size: Int, seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(batch: batch, height: size, width: size, channels: 3,
                      data: (0..<(batch * size * size * 3)).map { _ in Float.random(in: -1...1, using: &g) })
    }

    struct Case: Sendable, CustomStringConvertible {
        var alpha: Double
        var size: Int
        var batches: [Int]
        var description: String { "alpha \(alpha) size \(size) batches \(batches)" }
    }

    // Batch 64 runs at a small input size to keep the reference affordable; 97 and 113 give odd sides
    // all the way down, so every stride-2 layer takes the odd-padding path.
    static let cases = [
        Case(alpha: 0.35, size: 224, batches: [1, 3]),
        Case(alpha: 1.0, size: 224, batches: [1, 3]),
        Case(alpha: 0.35, size: 96, batches: [64]),
        Case(alpha: 0.5, size: 97, batches: [3]),
    ]

    @Test(arguments: cases)
    func matchesReferenceEngine(_ c: Case) throws {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: c.alpha, inputSize: c.size), seed: 7)
        let reference = ReferenceEngine(model: model)
        // Every kernel set this machine runs, on one and two threads (whole images vs layers split).
        let engines = FastCPUEngineKernels.supported.flatMap { kernels in
            [1, 2].map { FastCPUEngine(model: model, threads: $0, kernels: kernels) }
        }
        for batch in c.batches {
            let input = Self.randomInput(batch: batch, size: c.size, seed: UInt64(batch * 1000 + c.size))
            let expected = try reference.features(input)
            #expect(expected.count == batch * model.featureDimension)
            for engine in engines {
                let got = try engine.features(input)
                #expect(got.count == expected.count)
                guard got.count == expected.count else { continue }
                let m = firstMismatch(got, expected, relativeTolerance: 1e-5)
                #expect(m == nil, "\(c), batch \(batch), \(engine.kernels), \(engine.threads) threads: first mismatch at \(m?.index ?? -1): expected \(m?.expected ?? 0), got \(m?.got ?? 0)")
            }
        }
    }

    @Test func reusesBuffersAcrossBatchesOfDifferentSizes() throws {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: 64), seed: 3)
        let reference = ReferenceEngine(model: model)
        for kernels in FastCPUEngineKernels.supported {
            let engine = FastCPUEngine(model: model, threads: 2, kernels: kernels)
            for batch in [5, 1, 2] {
                let input = Self.randomInput(batch: batch, size: 64, seed: UInt64(batch))
                let got = try engine.features(input), expected = try reference.features(input)
                let m = firstMismatch(got, expected, relativeTolerance: 1e-5)
                #expect(m == nil, "\(kernels), batch \(batch): first mismatch at \(m?.index ?? -1): expected \(m?.expected ?? 0), got \(m?.got ?? 0)")
            }
        }
    }

    @Test func rejectsWrongInputShape() {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: 64), seed: 3)
        let engine = FastCPUEngine(model: model, threads: 2)
        #expect(throws: ModelError.self) {
            _ = try engine.features(Tensor(batch: 1, height: 63, width: 64, channels: 3, repeating: 0))
        }
    }
}
