import Model
import Testing
import TestSupport

/// Each fast CPU kernel face, in every kernel set this machine runs (scalar always; avx2, avx512 or neon
/// where the CPU has them), against its plain reference, on fresh seeded random inputs with awkward
/// shapes; the faces start from NaN-filled outputs, so an element a kernel forgets to write fails.
@Suite struct FastCPUKernelTests {
    static let pool = ThreadPool(threads: 2)
    static let kernelSets = FastCPUEngineKernels.supported

    static func randomTensor(_ n: Int, _ h: Int, _ w: Int, _ c: Int, seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(batch: n, height: h, width: w, channels: c,
                      data: (0..<(n * h * w * c)).map { _ in Float.random(in: -1...1, using: &g) })
    }

    static func layer(_ kind: ConvLayer.Kind, k: Int, stride: Int, cin: Int, cout: Int, relu6: Bool,
                      seed: UInt64) -> ConvLayer {
        var g = SeededGenerator(seed: seed)
        let shape = ConvLayer(name: "test_\(kind)", kind: kind, kernelSize: k, stride: stride, inChannels: cin,
                              outChannels: cout, relu6: relu6, weights: [], bias: [])
        var result = shape
        result.weights = (0..<shape.weightCount).map { _ in Float.random(in: -0.5...0.5, using: &g) }
        result.bias = (0..<cout).map { _ in Float.random(in: -0.5...0.5, using: &g) }
        return result
    }

    static func expectMatch(_ got: [Float], _ expected: [Float], _ what: String) {
        #expect(got.count == expected.count, "\(what): \(got.count) values, expected \(expected.count)")
        guard got.count == expected.count else { return }
        let mismatch = firstMismatch(got, expected, relativeTolerance: 1e-5)
        #expect(mismatch == nil, "\(what): first mismatch at \(mismatch?.index ?? -1): expected \(mismatch?.expected ?? 0), got \(mismatch?.got ?? 0)")
    }

    @Test(arguments: [1, 3, 13, 127], [1, 2])
    func depthwiseMatchesReference(channels: Int, stride: Int) {
        for (h, w) in [(1, 1), (7, 13), (8, 6), (13, 3)] {
            for relu6 in [false, true] {
                let seed = UInt64(channels * 1000 + stride * 100 + h * 10 + w)
                let x = Self.randomTensor(2, h, w, channels, seed: seed)
                let l = Self.layer(.depthwise, k: 3, stride: stride, cin: channels, cout: channels, relu6: relu6, seed: seed + 1)
                let expected = DepthwiseConv.reference(x, l)
                for kernels in Self.kernelSets {
                    let what = "depthwise c=\(channels) s=\(stride) \(h)×\(w) relu6=\(relu6) \(kernels)"
                    Self.expectMatch(DepthwiseConv.cpu(x, l, pool: Self.pool, kernels: kernels).data, expected.data, what)
                    var poisoned = Tensor(batch: 2, height: expected.height, width: expected.width, channels: channels, repeating: .nan)
                    DepthwiseConv.cpu(x, l, into: &poisoned, kernels: kernels)
                    Self.expectMatch(poisoned.data, expected.data, what + ", one thread")
                }
            }
        }
    }

    @Test(arguments: [1, 3, 13, 127], [1, 3, 13, 127])
    func pointwiseMatchesReference(cin: Int, cout: Int) {
        for (h, w) in [(1, 1), (3, 5), (13, 7)] {
            for (residual, relu6) in [(false, false), (false, true), (true, false), (true, true)] {
                let seed = UInt64(cin * 10000 + cout * 100 + h * 10 + w)
                let x = Self.randomTensor(3, h, w, cin, seed: seed)
                let r = residual ? Self.randomTensor(3, h, w, cout, seed: seed + 2) : nil
                let l = Self.layer(.pointwise, k: 1, stride: 1, cin: cin, cout: cout, relu6: relu6, seed: seed + 1)
                let expected = PointwiseConv.reference(x, l, residual: r)
                for kernels in Self.kernelSets {
                    let what = "pointwise \(cin)→\(cout) \(h)×\(w) residual=\(residual) relu6=\(relu6) \(kernels)"
                    Self.expectMatch(PointwiseConv.cpu(x, l, residual: r, pool: Self.pool, kernels: kernels).data, expected.data, what)
                    var poisoned = Tensor(batch: 3, height: h, width: w, channels: cout, repeating: .nan)
                    PointwiseConv.cpu(x, l, residual: r, into: &poisoned, kernels: kernels)
                    Self.expectMatch(poisoned.data, expected.data, what + ", one thread")
                }
            }
        }
    }

    @Test(arguments: [1, 3, 13, 127])
    func pooledHeadMatchesReferenceConvThenPool(cout: Int) {
        for (cin, h, w) in [(3, 1, 1), (13, 7, 7), (127, 3, 5)] {
            let seed = UInt64(cin * 1000 + cout + h)
            let x = Self.randomTensor(3, h, w, cin, seed: seed)
            let l = Self.layer(.pointwise, k: 1, stride: 1, cin: cin, cout: cout, relu6: true, seed: seed + 1)
            let expected = GlobalAveragePool.reference(PointwiseConv.reference(x, l, residual: nil))
            for kernels in Self.kernelSets {
                Self.expectMatch(PointwiseConv.cpuPooled(x, l, pool: Self.pool, kernels: kernels), expected,
                                 "pooled head \(cin)→\(cout) \(h)×\(w) \(kernels)")
                Self.expectMatch(PointwiseConv.cpuPooled(x, l, kernels: kernels), expected,
                                 "pooled head \(cin)→\(cout) \(h)×\(w) \(kernels), one thread")
            }
        }
    }

    @Test(arguments: [1, 3, 13, 127], [1, 2])
    func stemMatchesReference(cout: Int, stride: Int) {
        for (cin, h, w) in [(3, 1, 1), (3, 13, 9), (3, 8, 8), (1, 7, 4), (13, 5, 6)] {
            for relu6 in [false, true] {
                let seed = UInt64(cout * 1000 + cin * 100 + h * 10 + w + stride)
                let x = Self.randomTensor(2, h, w, cin, seed: seed)
                let l = Self.layer(.full, k: 3, stride: stride, cin: cin, cout: cout, relu6: relu6, seed: seed + 1)
                let expected = StemConv.reference(x, l)
                for kernels in Self.kernelSets {
                    let what = "stem \(cin)→\(cout) s=\(stride) \(h)×\(w) relu6=\(relu6) \(kernels)"
                    Self.expectMatch(StemConv.cpu(x, l, pool: Self.pool, kernels: kernels).data, expected.data, what)
                    var poisoned = Tensor(batch: 2, height: expected.height, width: expected.width, channels: cout, repeating: .nan)
                    StemConv.cpu(x, l, into: &poisoned, kernels: kernels)
                    Self.expectMatch(poisoned.data, expected.data, what + ", one thread")
                }
            }
        }
    }

    @Test(arguments: [1, 3, 13, 127])
    func globalAveragePoolMatchesReference(channels: Int) {
        for (h, w) in [(1, 1), (7, 7), (13, 3)] {
            let x = Self.randomTensor(3, h, w, channels, seed: UInt64(channels * 100 + h * 10 + w))
            Self.expectMatch(GlobalAveragePool.cpu(x, pool: Self.pool), GlobalAveragePool.reference(x),
                             "pool c=\(channels) \(h)×\(w)")
        }
    }

    @Test(arguments: [1, 3, 13, 127], [1, 2])
    func fusedBlockMatchesReferenceLayers(channels: Int, stride: Int) {
        for (h, w, expansion) in [(1, 1, 6), (7, 13, 1), (8, 6, 3), (13, 9, 6), (29, 3, 2)] {
            for (outChannels, expand) in [(channels, true), (13, true), (channels, false)] {
                let seed = UInt64(channels * 1000 + stride * 100 + h * 10 + w + outChannels)
                let hidden = expand ? channels * expansion : channels
                let block = InvertedResidualBlock(
                    index: 1,
                    expand: expand ? Self.layer(.pointwise, k: 1, stride: 1, cin: channels, cout: hidden, relu6: true, seed: seed) : nil,
                    depthwise: Self.layer(.depthwise, k: 3, stride: stride, cin: hidden, cout: hidden, relu6: true, seed: seed + 1),
                    project: Self.layer(.pointwise, k: 1, stride: 1, cin: hidden, cout: outChannels, relu6: false, seed: seed + 2),
                    residual: stride == 1 && outChannels == channels)
                let x = Self.randomTensor(2, h, w, channels, seed: seed + 3)
                var expected = x
                if let e = block.expand { expected = PointwiseConv.reference(x, e, residual: nil) }
                expected = DepthwiseConv.reference(expected, block.depthwise)
                expected = PointwiseConv.reference(expected, block.project, residual: block.residual ? x : nil)
                for kernels in Self.kernelSets {
                    let what = "block \(channels)→\(hidden)→\(outChannels) s=\(stride) \(h)×\(w) residual=\(block.residual) \(kernels)"
                    Self.expectMatch(block.cpu(x, pool: Self.pool, kernels: kernels).data, expected.data, what)
                    Self.expectMatch(block.cpu(x, kernels: kernels).data, expected.data, what + ", one thread")
                }
            }
        }
    }

    @Test func kernelSetChoiceRefusesWhatThisCPULacks() throws {
        // Says which sets this run exercised, so a log shows whether AVX-512 or NEON were covered.
        print("FastCPUKernelTests: kernel sets on this machine: \(Self.kernelSets.map(\.rawValue).joined(separator: ", ")) (best \(FastCPUEngineKernels.best))")
        #expect(Self.kernelSets.first == .scalar && Self.kernelSets.contains(FastCPUEngineKernels.best))
        #expect(try FastCPUEngineKernels(choice: nil) == FastCPUEngineKernels.best)
        #expect(try FastCPUEngineKernels(choice: "auto") == FastCPUEngineKernels.best)
        for kernels in FastCPUEngineKernels.allCases {
            if kernels.isSupported {
                #expect(try FastCPUEngineKernels(choice: kernels.rawValue.uppercased()) == kernels)
            } else {
                #expect(throws: ModelError.self) { try FastCPUEngineKernels(choice: kernels.rawValue) }
                do {
                    _ = try FastCPUEngineKernels(choice: kernels.rawValue)
                } catch {
                    #expect("\(error)".hasPrefix("IMGFEAT_CPU_KERNELS=\(kernels.rawValue) but this CPU lacks "), "\(error)")
                }
            }
        }
        #expect(throws: ModelError.self) { try FastCPUEngineKernels(choice: "sse9") }
    }

    @Test func threadPoolRunsEveryTaskOnce() {
        for tasks in [1, 3, 13, 127] {
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: tasks)
            defer { counts.deallocate() }
            counts.initialize(repeating: 0)
            Self.pool.run(tasks: tasks) { task, thread in
                precondition(thread >= 0 && thread < 2)
                counts[task] += 1
            }
            #expect(counts.allSatisfy { $0 == 1 }, "\(tasks) tasks: run counts \(Array(counts))")
        }
    }
}
