import Common
import Foundation
import VulkanRuntime

/// The subgroup variants of `head_pool` and `global_average_pool` checked against the plain references on
/// awkward shapes, outputs poisoned with NaN: what `imgfeat kernel-check` runs (from the GPU kit, on devices
/// of subgroup sizes no test here has, and on lavapipe at 4, 8 and 16 lanes from the Python tests).
extension KernelReduction {
    /// One check: the head pool (`inChannels` → `channels`) or the pool (`channels`) over `batch` images of
    /// side × side pixels, with a launch of `invocations` (nil: the device's default), `lanes` channels per
    /// lane and `groups` channel groups per work group.
    public struct CheckCase: Sendable, CustomStringConvertible {
        public let headPool: Bool
        public let inChannels, channels, side, batch: Int
        public let invocations, lanes, groups: Int?

        public var description: String {
            let what = headPool ? "head pool \(batch)x\(side)x\(side) \(inChannels)->\(channels)" : "pool \(batch)x\(side)x\(side)x\(channels)"
            return what + (invocations.map { " launch \($0) inv. x \(lanes!) ch x \(groups!) groups" } ?? " default launch")
        }
    }

    /// The outcome of one check.
    public typealias CheckResult = KernelCheckResult<CheckCase>

    /// Channels 1, 3, 13, 127, 1280 × sides 1, 7, 13 × batches 1, 3 on the device's default launch, and the
    /// alpha 1.0 head (7×7, 320 → 1280) on launches of 3, 12 and 4 × `subgroupSize` + 5 invocations (less
    /// than one subgroup, a partial one, several with a partial last), for both kernels.
    public static func checkCases(subgroupSize: Int) -> [CheckCase] {
        var cases: [CheckCase] = []
        for headPool in [true, false] {
            for c in [1, 3, 13, 127, 1280] {
                for side in [1, 7, 13] {
                    for batch in [1, 3] {
                        let k = c == 1280 ? 13 : [3, 13, 127][(c + side + batch) % 3]
                        cases.append(CheckCase(headPool: headPool, inChannels: k, channels: c, side: side, batch: batch,
                                               invocations: nil, lanes: nil, groups: nil))
                    }
                }
            }
            for (invocations, lanes, groups) in [(3, 1, 1), (12, 3, 2), (4 * max(subgroupSize, 1) + 5, 4, 3)] {
                cases.append(CheckCase(headPool: headPool, inChannels: 320, channels: 1280, side: 7, batch: 2,
                                       invocations: invocations, lanes: lanes, groups: groups))
            }
        }
        return cases
    }

    /// Runs `c`'s subgroup variant on `context` with fresh inputs from a seed fixed by the case; the result's
    /// `failure` names the first mismatch (index, expected, got).
    public static func check(_ c: CheckCase, context: VulkanContext) throws -> CheckResult {
        var random = SplitMix64(seed: UInt64(c.channels * 1000 + c.side * 10 + c.batch + (c.headPool ? 7 : 0)))
        func floats(_ count: Int, _ range: ClosedRange<Float>) -> [Float] { (0..<count).map { _ in Float.random(in: range, using: &random) } }
        let pixels = c.side * c.side, cin = c.headPool ? c.inChannels : c.channels
        let x = Tensor(batch: c.batch, height: c.side, width: c.side, channels: cin, data: floats(c.batch * pixels * cin, 0...6))
        let layer = ConvLayer(name: "check", kind: .pointwise, kernelSize: 1, stride: 1, inChannels: cin, outChannels: c.channels,
                              relu6: true, weights: floats(cin * c.channels, -1...1), bias: floats(c.channels, -1...1))
        let expected = c.headPool ? HeadPool.reference(x, layer) : GlobalAveragePool.reference(x)
        func upload(_ values: [Float]) throws -> BufferBinding {
            let buffer = try Buffer(context: context, size: max(values.count, 1) * 4, location: .upload)
            try buffer.write(values)
            return BufferBinding(buffer)
        }
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        let output = try Buffer(context: context, size: (expected.count + 1) * 4, location: .readback)
        sequence.fill(output, with: Float.nan.bitPattern)
        sequence.barrier()
        let input = try upload(x.data)
        if c.headPool {
            let launcher = try HeadPool.Vulkan(context: context, shape: c.invocations.map { ($0, 1) }, channelsPerInvocation: c.lanes,
                                               reduction: .subgroup, groups: c.groups)
            try launcher.record(sequence, layer: layer, batch: c.batch, pixels: pixels, input: input, inputFormat: .float32,
                                weights: upload(layer.weights), bias: upload(layer.bias), output: BufferBinding(output))
        } else {
            let launcher = try GlobalAveragePool.Vulkan(context: context, reduction: .subgroup, invocations: c.invocations,
                                                        channelsPerInvocation: c.lanes, groups: c.groups)
            try launcher.record(sequence, batch: c.batch, pixels: pixels, channels: c.channels, input: input,
                                inputFormat: .float32, output: BufferBinding(output))
        }
        sequence.barrier()
        try sequence.run()
        let got = try output.read(Float.self, count: expected.count)
        var failure = CoopMatGEMM.compare(got, expected, tolerance: 1e-5)
        if failure == nil, try output.read(UInt32.self, count: 1, at: expected.count)[0] != Float.nan.bitPattern {
            failure = "wrote past the output"
        }
        return CheckResult(check: c, failure: failure, errorVsReference: CoopMatGEMM.relativeError(got, expected))
    }

    /// Runs every check case on the device `setup` opens and returns its name and subgroup size, and the
    /// reason when it has no subgroup arithmetic in compute shaders (nothing run).
    public static func checkDevice(_ setup: VulkanSetup, onResult: (CheckResult) -> Void) throws
        -> (device: String, subgroupSize: Int, skipped: String?) {
        let context = try VulkanContext(options: setup)
        let info = context.info
        let device = "[\(info.index)] \(info.name)"
        guard available(info) else {
            return (device, Int(info.subgroupSize), "compute-stage subgroup operations [\(info.subgroupOperations.joined(separator: " "))]")
        }
        for c in checkCases(subgroupSize: Int(info.subgroupSize)) { onResult(try check(c, context: context)) }
        return (device, Int(info.subgroupSize), nil)
    }
}
