import Foundation
import Model
import Testing
import TestSupport
import VulkanRuntime

/// The GEMM's register tiles on this device (docs/VULKAN.md, "Layouts, vec4 variants and launch shapes"):
/// GPU timestamps of `pointwise_conv` in its scalar variants and its vec4 variant at several tiles, on
/// 1×1 layers of alpha 1.0 at 224, batch 1. A measurement, not a check: it prints medians and runs only
/// with IMGFEAT_POINTWISE_STUDY=1: `IMGFEAT_POINTWISE_STUDY=1 swift test --filter PointwiseTimingStudy 2>&1 | grep study:`
@Suite(.enabled(if: ProcessInfo.processInfo.environment["IMGFEAT_POINTWISE_STUDY"] == "1"))
struct PointwiseTimingStudy {
    @Test func tiles() throws {
        let context = try vulkanContext()
        // block_1_expand, block_2_project, block_13_expand, block_16_project.
        let layers: [(name: String, pixels: Int, k: Int, n: Int)] = [
            ("block_1_expand", 112 * 112, 16, 96), ("block_2_project", 56 * 56, 144, 24),
            ("block_13_expand", 14 * 14, 96, 576), ("block_16_project", 7 * 7, 960, 320),
        ]
        let variants: [(label: String, launcher: PointwiseConv.Vulkan)] = [
            ("scalar 4×4, shared tiles", PointwiseConv.Vulkan(context: context, sharedTiles: true, vectorized: false)),
            ("scalar 4×4, direct", PointwiseConv.Vulkan(context: context, sharedTiles: false, vectorized: false)),
        ] + [(4, 1), (4, 2), (8, 1), (8, 2), (8, 4), (16, 2)].map { rows, groups in
            ("vec4 \(rows)×\(groups * 4), 8 invocations",
             PointwiseConv.Vulkan(context: context, sharedTiles: false, vectorized: true,
                                  vectorTile: .init(rows: rows, groups: groups, invocations: 8)))
        } + PointwiseConv.Vulkan.Variant.alternatives(on: .discreteGPU).compactMap { variant in
            // The GPU tiles the launch tuning times against the shared-tile default.
            guard case .vec4(let tile) = variant else { return nil }
            return (variant.description, PointwiseConv.Vulkan(context: context, sharedTiles: false, vectorized: true, vectorTile: tile))
        }
        func upload(_ values: [Float]) throws -> BufferBinding {
            let buffer = try Buffer(context: context, size: values.count * 4, location: .upload)
            try buffer.write(values)
            return BufferBinding(buffer)
        }
        for shape in layers {
            let layer = ConvLayer(name: shape.name, kind: .pointwise, kernelSize: 1, stride: 1, inChannels: shape.k,
                                  outChannels: shape.n, relu6: true, weights: randomFloats(shape.k * shape.n, in: -0.3...0.3, seed: 1),
                                  bias: randomFloats(shape.n, seed: 2))
            let x = try upload(randomFloats(shape.pixels * shape.k, in: 0...6, seed: 3))
            let w = try upload(layer.weights), b = try upload(layer.bias)
            let count = shape.pixels * shape.n
            var outputs: [[Float]] = []
            var times: [[Double]] = Array(repeating: [], count: variants.count)
            for round in 0..<5 {
                let sequence = try CommandSequence(context: context, maxTimestamps: 2 * variants.count + 2)
                try sequence.begin()
                var readbacks: [Buffer] = []
                for (_, launcher) in variants {
                    let out = try Buffer(context: context, size: count * 4, location: .readback)
                    readbacks.append(out)
                    sequence.timestamp("start")
                    try launcher.record(sequence, layer: layer, pixels: shape.pixels, input: x, inputFormat: .float32,
                                        weights: w, bias: b, residual: nil, output: BufferBinding(out), outputFormat: .float32)
                    sequence.barrier()
                    sequence.timestamp("end")
                }
                try sequence.run()
                let stamps = try sequence.timestamps()
                for i in variants.indices { times[i].append((stamps[2 * i + 1].nanoseconds - stamps[2 * i].nanoseconds) / 1e6) }
                if round == 0 { outputs = try readbacks.map { try $0.read(Float.self, count: count) } }
            }
            // The timings compare like with like only if every variant computes the same layer.
            let expected = PointwiseConv.reference(Tensor(batch: 1, height: 1, width: shape.pixels, channels: shape.k,
                                                          data: randomFloats(shape.pixels * shape.k, in: 0...6, seed: 3)), layer, residual: nil)
            print("study: \(context.info.name), \(shape.name) (\(shape.pixels) px, \(shape.k) → \(shape.n)), median of 5 ms")
            for (i, variant) in variants.enumerated() {
                expectClose(outputs[i], expected.data, tolerance: 1e-5, "\(shape.name) \(variant.label)")
                print("study:   " + variant.label.padding(toLength: 32, withPad: " ", startingAt: 0)
                    + String(format: "%9.2f", times[i].sorted()[2]))
            }
        }
    }
}
