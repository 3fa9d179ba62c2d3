import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Why the shared test device cannot run the cooperative-matrix kernel (nil: it can).
let coopmatUnavailable: String? = {
    guard let context = try? vulkanContext() else { return "no Vulkan context" }
    return CoopMatGEMM.unavailableReason(context)
}()

/// The cooperative-matrix kernel (`coopmat_gemm.comp`): its SPIR-V on every machine; on a device with
/// VK_NV_cooperative_matrix, every `CoopMatGEMM.checkCases` case against the reference and the per-layer
/// kernel, and the whole network with it on and off against Keras. Skipped, with the reason printed, where
/// the device has none (lavapipe); the harness those checks use runs here on the per-layer kernel.
@Suite struct CoopMatKernelTests {
    static let formatPairs: [(StorageFormat, StorageFormat)] = [
        (.float32, .float32), (.float16, .float16), (.unorm16, .unorm16), (.float32, .unorm16), (.unorm16, .float32),
    ]

    /// spirv-val and spirv-opt (Debian's spirv-tools, installed by scripts/setup.sh), nil when absent.
    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `tool` with `arguments`; its exit status and standard error.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// The SPIR-V the launcher would give a device, for every format pair, compiled by the bundled glslang
    /// and validated by spirv-val as is (SPLIT on, POOL off) and with the other specialization values set
    /// as defaults by spirv-opt (SPLIT off, POOL on, 1×4 subgroups, K one matrix deep).
    @Test(arguments: formatPairs.map { Formats(input: $0.0, output: $0.1) })
    func compilesToValidSPIRV(_ formats: Formats) throws {
        let words = try CoopMatGEMM.spirv(input: formats.input, output: formats.output)
        #expect(words.first == 0x0723_0203, "not a SPIR-V module")
        let text = String(decoding: words.withUnsafeBytes { Array($0) }.filter { $0 >= 32 && $0 < 127 }, as: UTF8.self)
        #expect(text.contains("SPV_NV_cooperative_matrix"), "the module does not declare SPV_NV_cooperative_matrix")
        guard let validator = Self.tool("spirv-val") else {
            print("coopmat SPIR-V \(formats.testDescription): spirv-val skipped: not installed (apt-get install spirv-tools)")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("imgfeat-coopmat-\(getpid())-\(formats.input)-\(formats.output)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let module = folder.appendingPathComponent("\(formats.input)-\(formats.output).spv")
        try words.withUnsafeBytes { Data($0) }.write(to: module)
        let plain = try Self.run(validator, ["--target-env", "vulkan1.2", module.path])
        #expect(plain.status == 0, "spirv-val \(formats.testDescription): \(plain.errors)")
        guard let optimizer = Self.tool("spirv-opt") else { return }
        let variant = folder.appendingPathComponent("variant.spv")
        let set = try Self.run(optimizer, ["--set-spec-const-default-value", "4:1 5:4 6:1 7:false 8:true", module.path, "-o", variant.path])
        #expect(set.status == 0, "spirv-opt \(formats.testDescription): \(set.errors)")
        let specialized = try Self.run(validator, ["--target-env", "vulkan1.2", variant.path])
        #expect(specialized.status == 0, "spirv-val (SPLIT off, POOL on) \(formats.testDescription): \(specialized.errors)")
    }

    /// The comparison the checks report with fails on NaN (an unwritten element) and on an error beyond the
    /// tolerance, and names the first mismatch.
    @Test func comparisonFailsOnNaNAndMismatch() {
        #expect(CoopMatGEMM.compare([1, 2, 3], [1, 2, 3], tolerance: 1e-5) == nil)
        let unwritten = CoopMatGEMM.compare([1, .nan, 3], [1, 2, 3], tolerance: 1e-5)
        #expect(unwritten?.hasPrefix("first mismatch at 1: expected 2.0, got nan") == true, "\(unwritten ?? "nil")")
        let off = CoopMatGEMM.compare([1, 2, 3.001], [1, 2, 3], tolerance: 1e-5)
        #expect(off?.hasPrefix("first mismatch at 2") == true, "\(off ?? "nil")")
        #expect(CoopMatGEMM.compare([1, 2], [1, 2, 3], tolerance: 1e-5) != nil)
    }

    /// The check harness (seeded inputs, poisoned outputs, guard element, decode) on the per-layer kernels,
    /// which every device runs: a GEMM, a residual projection and the head pool in the network's formats.
    @Test(arguments: CoopMatGEMM.checkCases.filter { $0.split && $0.m * $0.k * $0.n * ($0.images ?? 1) <= 200_000 })
    func harnessPassesThePerLayerKernel(_ c: CoopMatGEMM.CheckCase) throws {
        let result = try CoopMatGEMM.check(c, context: vulkanContext(), kernel: .perLayer)
        #expect(result.passed, "\(result.line)")
        #expect(try validationMessages() == [])
    }

    /// Availability is decided from the device's queried support, and the launcher agrees with it.
    @Test func availabilityFollowsTheDevice() throws {
        let context = try vulkanContext()
        let support = context.info.cooperativeMatrix
        print("coopmat on \(context.info.name): \(coopmatUnavailable.map { "skipped: no cooperative matrix (\($0))" } ?? "available") [\(support.summary)]")
        if let coopmatUnavailable {
            #expect(throws: VulkanError.self, "\(coopmatUnavailable)") { try CoopMatGEMM.Vulkan(context: context) }
        } else {
            let kernel = try CoopMatGEMM.Vulkan(context: context)
            #expect(support.kernelShapes.contains(kernel.shape))
            #expect(context.cooperativeMatrixEnabled)
        }
        #expect(context.cooperativeMatrixEnabled == !support.kernelShapes.isEmpty
                && context.float16ArithmeticEnabled && context.info.supportsVulkanMemoryModel && context.float16StorageEnabled)
    }

    /// The kernel's arithmetic emulated on the CPU (float16 operands, products exact in float32, float32 sums):
    /// the hi/lo split is within the fp32 budget of the float32 reference on every 1×1 convolution of the
    /// fixture model (Keras-calibrated folded weights) with ReLU6-range inputs, and on weights spanning 1e-5…1;
    /// plain float16 operands are not. Runs everywhere: it checks the numerics the GPU tests then check on the kernel.
    @Test func splitArithmeticKeepsFloat32Accuracy() throws {
        let folder = fixturesDirectory.appendingPathComponent("model")
        let model = try loadModel(.file(folder.appendingPathComponent("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5").path),
                                  alpha: 0.35, inputSize: 96)
        var layers = model.layers.filter { $0.kind == .pointwise }
        var random = SeededGenerator(seed: 17)
        let wide = (0..<(96 * 13)).map { _ in Float.random(in: -1...1, using: &random) * pow(10, -Float.random(in: 0...5, using: &random)) }
        layers.append(ConvLayer(name: "weights 1e-5…1", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: 96, outChannels: 13,
                                relu6: false, weights: wide, bias: [Float](repeating: 0, count: 13)))
        func h(_ v: Float) -> Float { Float(Float16(v)) }
        var worstSplit: Float = 0, worstPlain: Float = 0
        for layer in layers {
            let rows = 7, k = layer.inChannels, n = layer.outChannels
            let x = (0..<(rows * k)).map { _ in Float.random(in: 0...6, using: &random) }
            let (xh, wh) = (x.map(h), layer.weights.map(h))
            let xl = zip(x, xh).map { h(($0 - $1) * 2048) }, wl = zip(layer.weights, wh).map { h(($0 - $1) * 2048) }
            var exact = [Float](), split = [Float](), plain = [Float]()
            for r in 0..<rows {
                for c in 0..<n {
                    var e: Double = 0, main: Float = 0, cross: Float = 0, p: Float = 0
                    for i in 0..<k {
                        let (a, w) = (r * k + i, i * n + c)
                        e += Double(x[a]) * Double(layer.weights[w])
                        main += xh[a] * wh[w]
                        cross += xh[a] * wl[w] + xl[a] * wh[w]
                        p += xh[a] * wh[w]
                    }
                    exact.append(Float(e)); split.append(main + cross / 2048); plain.append(p)
                }
            }
            let (errorSplit, errorPlain) = (relativeError(split, exact), relativeError(plain, exact))
            worstSplit = max(worstSplit, errorSplit)
            worstPlain = max(worstPlain, errorPlain)
            expectClose(split, exact, tolerance: 1e-5, "\(layer.name) \(k)->\(n) split")
        }
        print("coopmat arithmetic on \(layers.count) layers: split \(worstSplit), plain float16 operands \(worstPlain) (relative to max |exact|)")
        #expect(worstPlain > 1e-4, "plain float16 operands should cost more than the split: \(worstPlain)")
    }

    /// The weights as the engine uploads them (`CoopMatGEMM.PackedWeights`, split once on the host) in the
    /// layout the kernel reads, for three matrix shapes: zeros in the padding; hi + lo within 2⁻²² of each
    /// weight (plus 2⁻³⁵ for the tiniest); and the kernel's GEMM emulated on the packed buffer (B at
    /// kBase·NP + col, lo KP·NP further, K walked CK at a time while kBase < K, activations split as the
    /// kernel splits them) bit for bit the in-kernel split it replaces, and within the fp32 budget of the
    /// float32 reference, on the fixture model's 1×1 convolutions, weights spanning 1e-5…1 and awkward shapes.
    @Test(arguments: [(16, 16, 16), (16, 8, 16), (8, 8, 8)])
    func preSplitWeightsMatchTheKernelSplit(_ mnk: (m: Int, n: Int, k: Int)) throws {
        let shape = CooperativeMatrixShape(m: mnk.m, n: mnk.n, k: mnk.k, a: .float16, b: .float16, c: .float32,
                                           result: .float32, subgroupScope: true)
        let folder = fixturesDirectory.appendingPathComponent("model")
        let model = try loadModel(.file(folder.appendingPathComponent("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5").path),
                                  alpha: 0.35, inputSize: 96)
        var random = SeededGenerator(seed: 23)
        func layer(_ name: String, _ k: Int, _ n: Int, scale: () -> Float) -> ConvLayer {
            ConvLayer(name: name, kind: .pointwise, kernelSize: 1, stride: 1, inChannels: k, outChannels: n, relu6: false,
                      weights: (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &random) * scale() },
                      bias: [Float](repeating: 0, count: n))
        }
        var layers = model.layers.filter { $0.kind == .pointwise }
        layers.append(layer("weights 1e-5…1", 96, 13) { pow(10, -Float.random(in: 0...5, using: &random)) })
        for (k, n) in [(1, 1), (13, 13), (127, 3), (3, 127), (17, 1280)] { layers.append(layer("\(k)->\(n)", k, n) { 1 }) }
        func h(_ v: Float) -> Float { Float(Float16(v)) }
        var worstReconstruction: Float = 0, worstGEMM: Float = 0
        for layer in layers {
            let (k, n) = (layer.inChannels, layer.outChannels)
            let packed = CoopMatGEMM.PackedWeights(layer, shape: shape)
            let (kp, np) = (packed.kPadded, packed.nPadded)
            #expect(kp >= k && kp % shape.k == 0 && kp - k < shape.k && np >= n && np % max(shape.n, 8) == 0 && np - n < max(shape.n, 8),
                    "\(layer.name): padded \(kp)×\(np)")
            #expect(packed.halves.count == 2 * kp * np && packed.bytes.count == 4 * kp * np)
            // Padding zero in both halves; reconstruction within 2^-22 relative (2^-35 absolute for the tiniest).
            var firstBad: String?
            for row in 0..<kp {
                for col in 0..<np {
                    let inside = row < k && col < n
                    let w = inside ? layer.weights[row * n + col] : 0
                    let got = packed.reconstructed(row, col)
                    let bound = inside ? abs(w) * 0x1p-22 + 0x1p-35 : 0
                    if inside, abs(w) >= 0x1p-14 { worstReconstruction = max(worstReconstruction, abs(got - w) / abs(w)) }
                    if firstBad == nil, !(abs(got - w) <= bound) {
                        firstBad = "[\(row)][\(col)]: expected \(w), got hi + lo = \(got)"
                    }
                }
            }
            #expect(firstBad == nil, "\(layer.name) \(k)->\(n) packed for \(shape): \(firstBad ?? "")")
            // The kernel's GEMM on the packed buffer, and on weights split per work group as it was before.
            let rows = 5
            let x = (0..<(rows * k)).map { _ in Float.random(in: 0...6, using: &random) }
            var fromPacked = [Float](), inKernel = [Float](), exact = [Float]()
            for r in 0..<rows {
                for c in 0..<n {
                    var main: Float = 0, cross: Float = 0, oldMain: Float = 0, oldCross: Float = 0, e: Double = 0
                    var kBase = 0
                    while kBase < k {
                        for kk in 0..<shape.k {
                            let kIndex = kBase + kk
                            let a = kIndex < k ? x[r * k + kIndex] : 0
                            let (ah, al) = (h(a), h((a - h(a)) * 2048))
                            let bh = Float(packed.halves[kIndex * np + c]), bl = Float(packed.halves[kp * np + kIndex * np + c])
                            main += ah * bh
                            cross += ah * bl + al * bh
                            let w = kIndex < k ? layer.weights[kIndex * n + c] : 0
                            let (wh, wl) = (h(w), h((w - h(w)) * 2048))
                            oldMain += ah * wh
                            oldCross += ah * wl + al * wh
                            if kIndex < k { e += Double(a) * Double(w) }
                        }
                        kBase += shape.k
                    }
                    fromPacked.append(main + cross / 2048)
                    inKernel.append(oldMain + oldCross / 2048)
                    exact.append(Float(e))
                }
            }
            let same = fromPacked.indices.first { fromPacked[$0].bitPattern != inKernel[$0].bitPattern }
            #expect(same == nil, "\(layer.name): pre-split differs from the in-kernel split at \(same ?? -1): expected \(inKernel[same ?? 0]), got \(fromPacked[same ?? 0])")
            worstGEMM = max(worstGEMM, relativeError(fromPacked, exact))
            expectClose(fromPacked, exact, tolerance: 1e-5, "\(layer.name) \(k)->\(n) on packed weights, \(shape)")
        }
        print("coopmat packed weights \(shape) on \(layers.count) layers: hi + lo within \(worstReconstruction) of each weight of float16-normal size, GEMM \(worstGEMM) of the reference")
    }

    @Test(.enabled(if: coopmatUnavailable == nil, "skipped: no cooperative matrix"), arguments: CoopMatGEMM.checkCases)
    func coopmatKernel(_ c: CoopMatGEMM.CheckCase) throws {
        let result = try CoopMatGEMM.check(c, context: vulkanContext())
        print("coopmat check: \(result.line)")
        #expect(result.passed, "\(result.line)")
        #expect(try validationMessages() == [])
    }
}

/// The whole network with cooperative matrices on and off, against Keras' features for the committed fixture
/// weights (alpha 0.35 / 96) and against the reference engine.
@Suite struct CoopMatNetworkTests {
    /// Features of the committed Keras fixture case, its inputs and the model.
    static func kerasCase() throws -> (model: FoldedMobileNetV2, input: Tensor, keras: [Float]) {
        let set = KerasModelFixtureSet.committed
        let entry = try #require(try set.manifest().cases.first { $0.name == "a035_s96" }, "a035_s96 not in \(set.directory.path)/manifest.json")
        let model = try loadModel(.file(set.path(try #require(entry.files["legacy_no_top"]))), alpha: entry.alpha, inputSize: entry.size)
        let input = Tensor(batch: entry.count, height: entry.size, width: entry.size, channels: 3, data: try set.floats(entry.inputs))
        return (model, input, try set.floats(entry.features))
    }

    /// The engine uses cooperative matrices exactly when allowed and the device has them.
    @Test func engineUsesCoopmatOnlyWhereTheDeviceHasIt() throws {
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: 32), seed: 3)
        let on = try VulkanEngine(model: model, context: vulkanContext(), batchSize: 1)
        let off = try VulkanEngine(model: model, context: vulkanContext(), batchSize: 1, fastPaths: [])
        #expect(on.activeFastPaths.contains(.cooperativeMatrix) == (coopmatUnavailable == nil), "\(coopmatUnavailable ?? "available")")
        #expect(!off.activeFastPaths.contains(.cooperativeMatrix))
    }

    @Test(.enabled(if: coopmatUnavailable == nil, "skipped: no cooperative matrix"), arguments: VulkanPrecision.allCases)
    func coopmatOnAndOffMatchKeras(_ precision: VulkanPrecision) throws {
        let (model, input, keras) = try Self.kerasCase()
        let reference = try ReferenceEngine(model: model).features(input)
        var features: [Bool: [Float]] = [:]
        for coopmat in [true, false] {
            let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: precision, batchSize: 2,
                                          fastPaths: coopmat ? .all : [])
            #expect(engine.activeFastPaths.contains(.cooperativeMatrix) == coopmat)
            let got = try engine.features(input)
            features[coopmat] = got
            let what = "coopmat \(coopmat ? "on" : "off") \(precision.rawValue)"
            print("\(what): vs Keras \(relativeError(got, keras)), vs reference \(relativeError(got, reference))")
            expectClose(got, keras, tolerance: precision == .fp32 ? 1e-4 : 1e-2, "\(what) vs Keras")
            if precision == .fp32 { expectClose(got, reference, tolerance: 1e-5, "\(what) vs reference") }
        }
        if precision == .fp32 { expectClose(features[true]!, features[false]!, tolerance: 1e-5, "coopmat on vs off") }
        #expect(try validationMessages() == [])
    }
}

extension CoopMatGEMM.CheckCase: CustomTestStringConvertible {
    public var testDescription: String { description }
}
