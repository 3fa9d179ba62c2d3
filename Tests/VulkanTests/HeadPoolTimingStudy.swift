import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The head fused with the pool against the head GEMM then the pool (docs/VULKAN.md, "Head and pool"):
/// GPU timestamps of the kernels alone and of whole networks in both modes. A measurement, not a check:
/// it prints medians and runs only with IMGFEAT_HEAD_POOL_STUDY=1 (a few minutes on lavapipe):
/// `IMGFEAT_HEAD_POOL_STUDY=1 swift test --filter HeadPoolTimingStudy 2>&1 | grep study:`
/// (STUDY_ALPHA, STUDY_SIZE, STUDY_BATCH, STUDY_ROUNDS change the network runs: 1.0, 224, 8, 3).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["IMGFEAT_HEAD_POOL_STUDY"] == "1"))
struct HeadPoolTimingStudy {
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// Conv_1 of alpha 1.0 at 224 (49 pixels, 320 → 1280) on 8 images.
    @Test func kernels() throws {
        let context = try vulkanContext()
        let n = 8, p = 49, k = 320, c = 1280
        let layer = ConvLayer(name: "Conv_1", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: k, outChannels: c,
                              relu6: true, weights: randomFloats(k * c, in: -0.1...0.1, seed: 1), bias: randomFloats(c, seed: 2))
        func upload(_ values: [Float]) throws -> Buffer {
            let buffer = try Buffer(context: context, size: values.count * 4, location: .upload)
            try buffer.write(values)
            return buffer
        }
        let x = try upload(randomFloats(n * p * k, in: 0...2, seed: 3))
        let w = try upload(layer.weights), bias = try upload(layer.bias)
        let out = try Buffer(context: context, size: n * c * 4, location: .device)
        let headOutput = try Buffer(context: context, size: n * p * c * 4, location: .device)
        let shapes: [(x: Int, y: Int, channels: Int)] = [(8, 1, 4), (8, 1, 8), (8, 1, 16), (16, 1, 16), (8, 1, 32), (32, 8, 8)]
        // Each shape scalar and (its channels a multiple of 4) VEC4.
        var fused = try shapes.flatMap { shape in
            try [false, true].map { vec4 in
                ("head_pool \(shape.x)×\(shape.y), 7×\(shape.channels) tiles\(vec4 ? " vec4" : "")",
                 try HeadPool.Vulkan(context: context, shape: (shape.x, shape.y), channelsPerInvocation: shape.channels,
                                     reduction: .sharedMemory, vectorize: vec4))
            }
        }
        // The subgroup variant (where the device has it): invocations, channels per lane, channel groups.
        let subgroups = KernelReduction.available(context.info)
        let sub = Int(context.info.subgroupSize)
        for (x, channels, groups) in subgroups ? [(sub, 16, 1), (sub, 8, 1), (sub, 32, 1), (2 * sub, 16, 2), (4 * sub, 8, 4)] : [] {
            for vec4 in [false, true] {
                let launcher = try HeadPool.Vulkan(context: context, shape: (x, 1), channelsPerInvocation: channels, reduction: .subgroup,
                                                   groups: groups, vectorize: vec4)
                fused.append(("head_pool subgroup \(x) inv., \(launcher.pixelBlock(p))×\(channels) tiles × \(groups)\(vec4 ? " vec4" : "")", launcher))
            }
        }
        let gemm = PointwiseConv.Vulkan(context: context), pool = try GlobalAveragePool.Vulkan(context: context, reduction: .sharedMemory)
        var pools = [("global_average_pool one invocation per channel", pool)]
        for (x, channels, groups) in subgroups ? [(sub, 16, 1), (sub, 4, 1), (4 * sub, 4, 4)] : [] {
            pools.append(("global_average_pool subgroup \(x) inv. × \(channels) × \(groups)",
                          try GlobalAveragePool.Vulkan(context: context, reduction: .subgroup, invocations: x, channelsPerInvocation: channels, groups: groups)))
        }
        var times: [String: [Double]] = [:]
        for _ in 0..<5 {
            let sequence = try CommandSequence(context: context, maxTimestamps: 64)
            try sequence.begin()
            sequence.timestamp("start")
            for (label, launcher) in fused {
                try launcher.record(sequence, layer: layer, batch: n, pixels: p, input: BufferBinding(x), inputFormat: .float32,
                                    weights: BufferBinding(w), bias: BufferBinding(bias), output: BufferBinding(out))
                sequence.barrier()
                sequence.timestamp(label)
            }
            for format in [StorageFormat.float32, .unorm16] {
                let binding = BufferBinding(headOutput, range: n * p * c * format.size)
                try gemm.record(sequence, layer: layer, pixels: n * p, input: BufferBinding(x), inputFormat: .float32,
                                weights: BufferBinding(w), bias: BufferBinding(bias), residual: nil, output: binding,
                                outputFormat: format)
                sequence.barrier()
                sequence.timestamp("pointwise_conv → \(format)")
                for (label, pool) in pools {
                    try pool.record(sequence, batch: n, pixels: p, channels: c, input: binding, inputFormat: format,
                                    output: BufferBinding(out))
                    sequence.barrier()
                    sequence.timestamp("\(label) ← \(format)")
                }
            }
            try sequence.run()
            let stamps = try sequence.timestamps()
            for (a, b) in zip(stamps, stamps.dropFirst()) { times[b.label, default: []].append((b.nanoseconds - a.nanoseconds) / 1e6) }
        }
        // The timings compare like with like only if every fused shape computes what GEMM + pool does.
        func features(_ record: (CommandSequence) throws -> Void) throws -> [Float] {
            let readback = try Buffer(context: context, size: n * c * 4, location: .readback)
            let sequence = try CommandSequence(context: context, maxTimestamps: 0)
            try sequence.begin()
            sequence.fill(out, with: 0x7FC0_0000)  // NaN: an unwritten element fails
            sequence.barrier()
            try record(sequence)
            sequence.barrier()
            try sequence.copy(from: out, to: readback, size: n * c * 4)
            sequence.barrier()
            try sequence.run()
            return try readback.read(Float.self, count: n * c)
        }
        let separate = try features { sequence in
            try gemm.record(sequence, layer: layer, pixels: n * p, input: BufferBinding(x), inputFormat: .float32,
                            weights: BufferBinding(w), bias: BufferBinding(bias), residual: nil,
                            output: BufferBinding(headOutput), outputFormat: .float32)
            sequence.barrier()
            try pool.record(sequence, batch: n, pixels: p, channels: c, input: BufferBinding(headOutput),
                            inputFormat: .float32, output: BufferBinding(out))
        }
        for (label, launcher) in fused {
            let got = try features { sequence in
                try launcher.record(sequence, layer: layer, batch: n, pixels: p, input: BufferBinding(x), inputFormat: .float32,
                                    weights: BufferBinding(w), bias: BufferBinding(bias), output: BufferBinding(out))
            }
            if let bad = firstMismatch(got, separate, relativeTolerance: 1e-5) {
                Issue.record("\(label): element \(bad.index) expected \(bad.expected), got \(bad.got)")
            }
        }
        for (label, pool) in pools.dropFirst() {
            let got = try features { sequence in
                try pool.record(sequence, batch: n, pixels: p, channels: c, input: BufferBinding(headOutput),
                                inputFormat: .float32, output: BufferBinding(out))
            }
            if let bad = firstMismatch(got, separate, relativeTolerance: 1e-5) {
                Issue.record("\(label): element \(bad.index) expected \(bad.expected), got \(bad.got)")
            }
        }
        print("study: kernels, \(context.info.name), Conv_1 320→1280 on \(n) images of 7×7, median of 5")
        for (label, t) in times.sorted(by: { $0.key < $1.key }) {
            print("study:   " + label.padding(toLength: 64, withPad: " ", startingAt: 0) + String(format: "%8.2f ms", Self.median(t)))
        }
    }

    @Test func networks() throws {
        let environment = ProcessInfo.processInfo.environment
        let alpha = Double(environment["STUDY_ALPHA"] ?? "1.0") ?? 1, size = Int(environment["STUDY_SIZE"] ?? "224") ?? 224
        let batch = Int(environment["STUDY_BATCH"] ?? "8") ?? 8, rounds = Int(environment["STUDY_ROUNDS"] ?? "3") ?? 3
        let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: alpha, inputSize: size), seed: 1)
        let input = Tensor(batch: batch, height: size, width: size, channels: 3, data: randomFloats(batch * size * size * 3, seed: 2))
        var engines: [(String, VulkanEngine)] = []
        let reductions = KernelReduction.available(try vulkanContext().info) ? KernelReduction.allCases : [.sharedMemory]
        for precision in VulkanPrecision.allCases {
            for mode in [HeadPool.Mode.fused, .separate] {
                for reduction in reductions {
                    let engine = try VulkanEngine(model: model, context: vulkanContext(), precision: precision, batchSize: batch,
                                                  headPool: mode, reduction: reduction)
                    engine.profiling = true
                    _ = try engine.features(input)  // pipelines built, caches warm
                    engines.append(("\(precision.rawValue) \(mode) \(reduction.rawValue)", engine))
                }
            }
        }
        var head: [String: [Double]] = [:], network: [String: [Double]] = [:], features: [String: [Float]] = [:]
        for _ in 0..<rounds {  // interleaved, so load from other processes spreads over all four
            for (label, engine) in engines {
                features[label] = try engine.features(input)
                let profile = try #require(engine.lastProfile)
                let stages = profile.stages.filter { $0.name.hasPrefix(model.head.name) || $0.name == "pool" }
                head[label, default: []].append(stages.reduce(0) { $0 + $1.milliseconds })
                network[label, default: []].append(profile.networkMilliseconds)
            }
        }
        // Timings compare like with like only if both head modes compute the same features.
        for precision in VulkanPrecision.allCases {
            let first = try #require(features["\(precision.rawValue) fused shared-memory"])
            for (label, _) in engines where label.hasPrefix(precision.rawValue) {
                let got = try #require(features[label])
                if let bad = firstMismatch(got, first, relativeTolerance: precision == .fp32 ? 1e-5 : 1e-2) {
                    Issue.record("\(label) vs \(precision.rawValue) fused shared-memory differ at \(bad.index): \(bad.expected) vs \(bad.got)")
                }
            }
        }
        print("study: networks, alpha \(alpha), \(size)×\(size), batch \(batch), median of \(rounds): head + pool ms, network ms")
        for (label, _) in engines {
            print("study:   " + label.padding(toLength: 32, withPad: " ", startingAt: 0)
                + String(format: "%9.1f %9.1f", Self.median(head[label]!), Self.median(network[label]!)))
        }
    }
}
