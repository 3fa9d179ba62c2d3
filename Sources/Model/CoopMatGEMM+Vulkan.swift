import Foundation
import Shaders
import VulkanRuntime

/// The 1×1 convolutions and the head (+ global average pool) on cooperative matrices, `coopmat_gemm.comp`.
/// Its references are `PointwiseConv.reference` and `HeadPool.reference`; the per-layer float32 kernels
/// (`PointwiseConv.Vulkan`, `HeadPool.Vulkan`) are its fallback wherever a device lacks the extension.
public enum CoopMatGEMM {
    /// The shape the kernel multiplies in among `shapes` (float16 × float16 + float32, subgroup scope):
    /// 16×16×16 where listed (the common tensor-core shape), else the listed one nearest to it in volume.
    public static func preferredShape(_ shapes: [CooperativeMatrixShape]) -> CooperativeMatrixShape? {
        let usable = shapes.filter { $0.isFloat16WithFloat32Accumulation && $0.m >= 1 && $0.n >= 1 && $0.k >= 1 }
        return usable.first { $0.m == 16 && $0.n == 16 && $0.k == 16 }
            ?? usable.min { abs($0.m * $0.n * $0.k - 4096) < abs($1.m * $1.n * $1.k - 4096) }
    }

    /// Why `context` cannot run the kernel, or nil when it can.
    public static func unavailableReason(_ context: VulkanContext) -> String? {
        let info = context.info
        if context.cooperativeMatrixEnabled, preferredShape(info.cooperativeMatrix.kernelShapes) != nil { return nil }
        let support = info.cooperativeMatrix
        guard let nv = support.nv else {
            let khr = support.khr.map { _ in "; it has VK_KHR_cooperative_matrix, which needs glslang 13 (docs/VULKAN.md)" } ?? ""
            return "\(info.name) has no VK_NV_cooperative_matrix\(khr)"
        }
        if !nv.feature || !nv.compute { return "\(info.name): VK_NV_cooperative_matrix without its feature in compute shaders" }
        if info.cooperativeMatrix.kernelShapes.isEmpty { return "\(info.name) lists no f16*f16+f32 subgroup shape" }
        return "\(info.name) lacks float16 arithmetic, 16-bit storage or the Vulkan memory model the kernel needs"
    }

    /// SPIR-V of the kernel for tensors stored as `input` / `output`, compiled by the bundled glslang and
    /// never cached: what a device with the extension would be given (the compile check on any machine).
    public static func spirv(input: StorageFormat, output: StorageFormat, shaderSources: URL? = nil) throws -> [UInt32] {
        let defines = input.defines(role: "IN").merging(output.defines(role: "OUT")) { a, _ in a }
        return try ShaderCompiler.spirv(source: ShaderSource.named("coopmat_gemm", folder: shaderSources),
                                        name: "coopmat_gemm (in \(input), out \(output))", defines: defines,
                                        cacheDirectory: nil)
    }

    /// Launcher of `coopmat_gemm.comp`.
    public final class Vulkan: @unchecked Sendable {
        /// The cooperative-matrix shape multiplied in.
        public let shape: CooperativeMatrixShape
        /// Whether operands are split into float16 hi + lo (three MMAs, float32-like) or rounded once.
        public let split: Bool
        private let info: DeviceInfo
        private let context: VulkanContext
        private let pipelines: SpecializedPipelines
        /// Each uploaded layer's packed weights (`PackedWeights`, by layer name) in one device buffer.
        private var packed: [String: BufferBinding] = [:]
        private var packedBuffers: [Buffer] = []

        /// A work group: `sgM` × `sgN` subgroups of 2×2 matrices each, K staged `kt` matrices deep.
        struct Launch: Equatable {
            let sgM, sgN, kt: Int
        }

        /// Throws (with `CoopMatGEMM.unavailableReason`) when the context cannot run the kernel.
        public init(context: VulkanContext, split: Bool = true) throws {
            if let why = CoopMatGEMM.unavailableReason(context) {
                throw VulkanError(call: "CoopMatGEMM.Vulkan", message: why)
            }
            shape = CoopMatGEMM.preferredShape(context.info.cooperativeMatrix.kernelShapes)!
            self.split = split
            info = context.info
            self.context = context
            pipelines = SpecializedPipelines(context: context, shader: "coopmat_gemm", bindings: 5, pushWords: 6)
        }

        /// Splits each of `layers`' weights into the kernel's float16 hi/lo pair (`PackedWeights`) once and
        /// uploads them to device memory, where `record` binds them by layer name (names must be unique).
        public func upload(_ layers: [ConvLayer]) throws {
            let alignment = max(Int(info.minStorageBufferOffsetAlignment), 16)
            var bytes: [UInt8] = [], offsets: [(String, Int, Int)] = []
            for layer in layers {
                bytes += [UInt8](repeating: 0, count: (bytes.count + alignment - 1) / alignment * alignment - bytes.count)
                let layerBytes = PackedWeights(layer, shape: shape).bytes
                offsets.append((layer.name, bytes.count, layerBytes.count))
                bytes += layerBytes
            }
            guard !bytes.isEmpty else { return }
            let buffer = try Buffer(context: context, size: bytes.count, location: .device)
            let staging = try Buffer(context: context, size: bytes.count, location: .upload)
            try staging.write(bytes)
            let sequence = try CommandSequence(context: context, maxTimestamps: 0)
            try sequence.begin()
            try sequence.copy(from: staging, to: buffer, size: bytes.count)
            sequence.barrier()
            try sequence.run()
            packedBuffers.append(buffer)
            for (name, offset, size) in offsets { packed[name] = BufferBinding(buffer, offset: offset, range: size) }
        }

        private func weights(_ layer: ConvLayer) throws -> BufferBinding {
            guard let binding = packed[layer.name] else {
                throw VulkanError(call: "CoopMatGEMM.Vulkan", message: "\(layer.name): weights not uploaded (call upload first)")
            }
            return binding
        }

        /// Shared-memory bytes of a launch: hi and lo tiles of the activations (the weights are read from their
        /// packed buffer), the C tile, the column sums.
        func sharedBytes(_ l: Launch) -> Int {
            let tileM = l.sgM * 2 * shape.m, tileN = l.sgN * 2 * shape.n, tileK = l.kt * shape.k
            return 2 * 2 * tileM * tileK + 4 * tileM * tileN + 4 * tileN
        }

        /// The launch for `n` output channels: 2×2 subgroups (64×64 tiles at 16×16×16), or 4×1 when N fits
        /// one subgroup's two matrices (narrow projections); K 2 matrices deep; halved until the device's
        /// work-group and shared-memory limits hold.
        func launch(n: Int) throws -> Launch {
            var l = n <= 2 * shape.n ? Launch(sgM: 4, sgN: 1, kt: 2) : Launch(sgM: 2, sgN: 2, kt: 2)
            let sub = max(1, Int(info.subgroupSize))
            func fits(_ l: Launch) -> Bool {
                let threads = l.sgM * l.sgN * sub
                return threads <= Int(info.maxWorkgroupInvocations) && threads <= Int(info.maxWorkgroupSize[0])
                    && sharedBytes(l) <= Int(info.maxSharedMemoryBytes)
            }
            while !fits(l) && l.kt > 1 { l = Launch(sgM: l.sgM, sgN: l.sgN, kt: 1) }
            while !fits(l) && l.sgM > 1 { l = Launch(sgM: l.sgM / 2, sgN: l.sgN, kt: l.kt) }
            while !fits(l) && l.sgN > 1 { l = Launch(sgM: l.sgM, sgN: l.sgN / 2, kt: l.kt) }
            guard fits(l) else {
                throw VulkanError(call: "CoopMatGEMM.Vulkan", message: "a \(shape) tile exceeds \(info.name)'s work-group or shared-memory limits")
            }
            return l
        }

        private func pipeline(_ l: Launch, pool: Bool, formats: [String: StorageFormat]) throws -> ComputePipeline {
            let threads = l.sgM * l.sgN * max(1, Int(info.subgroupSize))
            let specialization = [threads, shape.m, shape.n, shape.k, l.sgM, l.sgN, l.kt, split ? 1 : 0, pool ? 1 : 0]
            return try pipelines.get(specialization.map { UInt32($0) }, formats: formats)
        }

        /// Records `layer` over `pixels` input rows, as `PointwiseConv.Vulkan.record` (same bindings and formats),
        /// its weights the ones `upload` packed.
        public func record(_ sequence: CommandSequence, layer: ConvLayer, pixels: Int, input: BufferBinding,
                           inputFormat: StorageFormat, bias: BufferBinding,
                           residual: BufferBinding?, output: BufferBinding, outputFormat: StorageFormat) throws {
            try checkOutput(layer, outputFormat)
            precondition(layer.kind == .pointwise && pixels >= 1, "\(layer.name): coopmat GEMM needs a 1×1 convolution and a pixel")
            let l = try launch(n: layer.outChannels)
            let pipeline = try pipeline(l, pool: false, formats: ["IN": inputFormat, "OUT": outputFormat])
            // Pixels run along the grid's y axis: past the device's limit, one dispatch per run of pixels (the
            // kernel zero-fills A's edge rows and guards its stores, so a run may end anywhere).
            let tileM = l.sgM * 2 * shape.m
            for run in try GridSplit.gemmRuns(rows: pixels, rowsPerGroup: tileM, layer: layer, device: info, input: input,
                                              inputFormat: inputFormat, residual: residual, output: output, outputFormat: outputFormat) {
                let push = [run.rows, layer.inChannels, layer.outChannels, layer.relu6 ? 1 : 0, residual == nil ? 0 : 1, 0]
                try sequence.dispatch(pipeline, [run.input, weights(layer), bias, run.residual, run.output], push: push.map { UInt32($0) },
                                      groups: (ceilDiv(layer.outChannels, l.sgN * 2 * shape.n), ceilDiv(run.rows, tileM), 1))
            }
        }

        /// Records the head fused with the pool, as `HeadPool.Vulkan.record`: `batch` images of `pixels` pixels
        /// in, each image's channel means out (N×outChannels float32); weights as `upload` packed them.
        public func recordHeadPool(_ sequence: CommandSequence, layer: ConvLayer, batch: Int, pixels: Int,
                                   input: BufferBinding, inputFormat: StorageFormat,
                                   bias: BufferBinding, output: BufferBinding) throws {
            precondition(layer.kind == .pointwise && batch >= 1 && pixels >= 1,
                         "\(layer.name): head pool needs a 1×1 convolution, at least one image and one pixel")
            let l = try launch(n: layer.outChannels)
            let pipeline = try pipeline(l, pool: true, formats: ["IN": inputFormat, "OUT": .float32])
            let push = [batch * pixels, layer.inChannels, layer.outChannels, layer.relu6 ? 1 : 0, 0, pixels]
            try sequence.dispatch(pipeline, [input, weights(layer), bias, input, output], push: push.map { UInt32($0) },
                                  groups: (ceilDiv(layer.outChannels, l.sgN * 2 * shape.n), batch, 1))
        }
    }
}
