import Common
import Foundation
import VulkanRuntime

/// The cooperative-matrix kernel checked against the plain reference (and the per-layer float32 kernel)
/// on awkward shapes, outputs poisoned: what the kernel tests run, and what `imgfeat kernel-check` runs
/// from the GPU kit on a machine without the Swift toolchain.
extension CoopMatGEMM {
    /// One check: a GEMM of `m` rows, or (`images` set) the head pool over `images` images of `m` pixels.
    public struct CheckCase: Sendable, CustomStringConvertible {
        public let m, k, n: Int
        public let images: Int?
        public let residual, relu6: Bool
        public let input, output: StorageFormat
        public let split: Bool

        public var description: String {
            let what = images.map { "pool \($0)x\(m)px \(k)->\(n)" } ?? "gemm \(m)x\(k)->\(n)"
            return "\(what)\(residual ? " +res" : "")\(relu6 ? " relu6" : "") \(input)->\(output) \(split ? "split" : "f16")"
        }
    }

    /// The outcome of one check.
    public typealias CheckResult = KernelCheckResult<CheckCase>

    /// Which kernel a check runs: the cooperative-matrix one, or the per-layer float32 fallback through the
    /// same harness (which checks the harness itself on devices without cooperative matrices).
    public enum CheckedKernel: Sendable { case coopmat, perLayer }

    /// Shapes M 1/13/127/3136 × K 8/13/96/960 × N 8/13/1280 (every value of each, mixed), with and without
    /// residual and ReLU6, in the network's storage formats, split and unsplit; the head pool at 1, 13, 49
    /// and 127 pixels.
    public static let checkCases: [CheckCase] = {
        let gemms: [(Int, Int, Int, Bool, Bool)] = [
            (1, 8, 8, false, true), (1, 960, 1280, false, true), (13, 13, 13, true, false), (13, 96, 1280, false, true),
            (127, 8, 1280, false, true), (127, 960, 13, true, false), (127, 13, 8, false, true), (3136, 8, 13, false, true),
            (3136, 96, 8, true, false), (3136, 13, 1280, false, true), (3136, 960, 13, false, true), (3136, 96, 1280, false, true),
        ]
        var cases: [CheckCase] = []
        for (m, k, n, residual, relu6) in gemms {
            for split in [true, false] {
                cases.append(CheckCase(m: m, k: k, n: n, images: nil, residual: residual, relu6: relu6, input: .float32, output: .float32, split: split))
            }
            // The 16-bit formats where the reference stays cheap (the kit runs these on the CPU too).
            guard m * k * n <= 50_000_000 else { continue }
            let formats: [(StorageFormat, StorageFormat)] = relu6 ? [(.float32, .unorm16), (.unorm16, .unorm16), (.float16, .float16)]
                                                                  : [(.unorm16, .float32), (.float16, .float16)]
            for (input, output) in formats {
                cases.append(CheckCase(m: m, k: k, n: n, images: nil, residual: residual, relu6: relu6, input: input, output: output, split: true))
            }
        }
        for (images, pixels, k, n, relu6) in [(1, 1, 13, 13, true), (3, 49, 320, 1280, true), (2, 13, 96, 1280, true), (1, 127, 960, 13, false)] {
            for (input, split) in [(StorageFormat.float32, true), (.float32, false), (.unorm16, true), (.float16, true)] {
                cases.append(CheckCase(m: pixels, k: k, n: n, images: images, residual: false, relu6: relu6, input: input, output: .float32, split: split))
            }
        }
        return cases
    }()

    /// Relative tolerance of an output stored as `format`: float32 rounding, unorm16's step, float16's.
    static func tolerance(_ format: StorageFormat) -> Float {
        switch format {
        case .float32: return 1e-5
        case .unorm16: return 1e-4
        case .float16: return 1e-2
        }
    }

    /// nil when every element of `got` is within `tolerance` of `expected` relative to max |expected| (NaN
    /// never is), else the first mismatch and the largest relative error.
    public static func compare(_ got: [Float], _ expected: [Float], tolerance: Float) -> String? {
        guard got.count == expected.count else { return "\(got.count) values, expected \(expected.count)" }
        let scale = max(expected.map { abs($0) }.max() ?? 0, Float.leastNormalMagnitude)
        guard let bad = got.indices.first(where: { !(abs(got[$0] - expected[$0]) <= tolerance * scale) }) else { return nil }
        return "first mismatch at \(bad): expected \(expected[bad]), got \(got[bad]); max relative error \(relativeError(got, expected))"
    }

    /// max |got − expected| over max |expected| (NaN when any element is NaN).
    static func relativeError(_ got: [Float], _ expected: [Float]) -> Float {
        let scale = max(expected.map { abs($0) }.max() ?? 0, Float.leastNormalMagnitude)
        return zip(got, expected).reduce(Float(0)) { worst, pair in
            let d = abs(pair.0 - pair.1)
            return d.isNaN || worst.isNaN ? .nan : max(worst, d)
        } / scale
    }

    /// Runs `c` on `context` with fresh inputs from a seed fixed by the case.
    public static func check(_ c: CheckCase, context: VulkanContext, kernel: CheckedKernel = .coopmat) throws -> CheckResult {
        var random = SplitMix64(seed: UInt64(c.m * 1_000_003 + c.k * 1009 + c.n * 7 + (c.images ?? 0) * 31 + (c.residual ? 1 : 0)))
        func floats(_ count: Int, _ range: ClosedRange<Float>) -> [Float] { (0..<count).map { _ in Float.random(in: range, using: &random) } }
        let rows = c.m * (c.images ?? 1)
        let layer = ConvLayer(name: "coopmat check", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: c.k,
                              outChannels: c.n, relu6: c.relu6, weights: floats(c.k * c.n, -1...1), bias: floats(c.n, -1...1))
        let x = floats(rows * c.k, c.input == .unorm16 ? 0...6 : -3...3).map(c.input.stored)
        let residual = c.residual ? floats(rows * c.n, -1...1).map(c.output.stored) : nil
        func reference(_ x: [Float], _ layer: ConvLayer) -> [Float] {
            let tensor = Tensor(batch: c.images ?? 1, height: 1, width: c.m, channels: c.k, data: x)
            if c.images != nil { return HeadPool.reference(tensor, layer) }
            return PointwiseConv.reference(tensor, layer, residual: residual.map {
                Tensor(batch: 1, height: 1, width: c.m, channels: c.n, data: $0)
            }).data
        }
        let exact = reference(x, layer)
        // The unsplit kernel multiplies float16-rounded operands: its expectation rounds them too.
        var rounded = layer
        rounded.weights = layer.weights.map { Float(Float16($0)) }
        let expected = c.split || kernel == .perLayer ? exact : reference(x.map { Float(Float16($0)) }, rounded)

        let outFormat = c.images == nil ? c.output : StorageFormat.float32
        func upload(_ bytes: [UInt8]) throws -> BufferBinding {
            let buffer = try Buffer(context: context, size: max(bytes.count, 4), location: .upload)
            try buffer.write(bytes)
            return BufferBinding(buffer)
        }
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        func poisoned() throws -> Buffer {
            let buffer = try Buffer(context: context, size: ((exact.count + 1) * outFormat.size + 3) / 4 * 4, location: .readback)
            sequence.fill(buffer, with: outFormat == .float32 ? Float.nan.bitPattern : outFormat == .float16 ? 0x7E00_7E00 : 0xFFFF_FFFF)
            return buffer
        }
        let output = try poisoned(), perLayerOutput = try poisoned()
        sequence.barrier()
        let input = try upload(c.input.encode(x)), weights = try upload(StorageFormat.float32.encode(layer.weights))
        let bias = try upload(StorageFormat.float32.encode(layer.bias))
        let residualBinding = try residual.map { try upload(c.output.encode($0)) }
        // The cooperative-matrix kernel reads the weights as the engine uploads them: split into hi/lo once.
        let coopmat = kernel == .coopmat ? try Vulkan(context: context, split: c.split) : nil
        try coopmat?.upload([layer])
        func record(_ kernel: CheckedKernel, into out: Buffer) throws {
            switch (kernel, c.images) {
            case (.coopmat, nil):
                try coopmat!.record(sequence, layer: layer, pixels: rows, input: input, inputFormat: c.input,
                    bias: bias, residual: residualBinding, output: BufferBinding(out), outputFormat: c.output)
            case (.coopmat, let images?):
                try coopmat!.recordHeadPool(sequence, layer: layer, batch: images, pixels: c.m, input: input,
                    inputFormat: c.input, bias: bias, output: BufferBinding(out))
            case (.perLayer, nil):
                try PointwiseConv.Vulkan(context: context).record(sequence, layer: layer, pixels: rows, input: input, inputFormat: c.input,
                    weights: weights, bias: bias, residual: residualBinding, output: BufferBinding(out), outputFormat: c.output)
            case (.perLayer, let images?):
                try HeadPool.Vulkan(context: context).record(sequence, layer: layer, batch: images, pixels: c.m, input: input,
                    inputFormat: c.input, weights: weights, bias: bias, output: BufferBinding(out))
            }
        }
        try record(kernel, into: output)
        if kernel == .coopmat { try record(.perLayer, into: perLayerOutput) }
        sequence.barrier()
        try sequence.run()

        let got = try outFormat.decode(output, count: exact.count)
        let tolerance = Self.tolerance(outFormat)
        var failure = compare(got, expected, tolerance: tolerance).map { "vs reference: \($0)" }
        if failure == nil, try !guardIntact(output, at: exact.count, outFormat) { failure = "wrote past the output" }
        if failure == nil, kernel == .coopmat {
            // The per-layer float32 kernel (the fallback) on the same inputs; the unsplit kernel differs from
            // it by its float16 operands, within the fp16 budget.
            let perLayer = try outFormat.decode(perLayerOutput, count: exact.count)
            failure = compare(got, perLayer, tolerance: c.split ? tolerance : 1e-2).map { "vs per-layer kernel: \($0)" }
        }
        return CheckResult(check: c, failure: failure, errorVsReference: relativeError(got, exact))
    }

    private static func guardIntact(_ buffer: Buffer, at index: Int, _ format: StorageFormat) throws -> Bool {
        switch format {
        case .float32: return try buffer.read(UInt32.self, count: 1, at: index)[0] == Float.nan.bitPattern
        case .float16: return try buffer.read(UInt16.self, count: 1, at: index)[0] == 0x7E00
        case .unorm16: return try buffer.read(UInt16.self, count: 1, at: index)[0] == 0xFFFF
        }
    }
}

extension CoopMatGEMM {
    /// Runs every check case on the device `setup` opens (`onResult` sees each as it finishes) and returns
    /// the device's name, and the reason when it has no usable cooperative matrix (nothing run).
    public static func checkDevice(_ setup: VulkanSetup, onResult: (CheckResult) -> Void) throws -> (device: String, skipped: String?) {
        let context = try VulkanContext(options: setup)
        let device = "[\(context.info.index)] \(context.info.name)"
        if let why = unavailableReason(context) { return (device, why) }
        for c in checkCases { onResult(try check(c, context: context)) }
        return (device, nil)
    }
}
