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
        private let pipelines: SpecializedPipelines

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
            pipelines = SpecializedPipelines(context: context, shader: "coopmat_gemm", bindings: 5, pushWords: 6)
        }

        /// Shared-memory bytes of a launch: hi and lo tiles of both operands, the C tile, the column sums.
        func sharedBytes(_ l: Launch) -> Int {
            let tileM = l.sgM * 2 * shape.m, tileN = l.sgN * 2 * shape.n, tileK = l.kt * shape.k
            return 2 * 2 * (tileM * tileK + tileK * tileN) + 4 * tileM * tileN + 4 * tileN
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

        /// Records `layer` over `pixels` input rows, as `PointwiseConv.Vulkan.record` (same bindings and formats).
        public func record(_ sequence: CommandSequence, layer: ConvLayer, pixels: Int, input: BufferBinding,
                           inputFormat: StorageFormat, weights: BufferBinding, bias: BufferBinding,
                           residual: BufferBinding?, output: BufferBinding, outputFormat: StorageFormat) throws {
            try checkOutput(layer, outputFormat)
            precondition(layer.kind == .pointwise && pixels >= 1, "\(layer.name): coopmat GEMM needs a 1×1 convolution and a pixel")
            let l = try launch(n: layer.outChannels)
            let pipeline = try pipeline(l, pool: false, formats: ["IN": inputFormat, "OUT": outputFormat])
            let push = [pixels, layer.inChannels, layer.outChannels, layer.relu6 ? 1 : 0, residual == nil ? 0 : 1, 0]
            try sequence.dispatch(pipeline, [input, weights, bias, residual ?? input, output], push: push.map { UInt32($0) },
                                  groups: (ceilDiv(layer.outChannels, l.sgN * 2 * shape.n), ceilDiv(pixels, l.sgM * 2 * shape.m), 1))
        }

        /// Records the head fused with the pool, as `HeadPool.Vulkan.record`: `batch` images of `pixels` pixels
        /// in, each image's channel means out (N×outChannels float32).
        public func recordHeadPool(_ sequence: CommandSequence, layer: ConvLayer, batch: Int, pixels: Int,
                                   input: BufferBinding, inputFormat: StorageFormat, weights: BufferBinding,
                                   bias: BufferBinding, output: BufferBinding) throws {
            precondition(layer.kind == .pointwise && batch >= 1 && pixels >= 1,
                         "\(layer.name): head pool needs a 1×1 convolution, at least one image and one pixel")
            let l = try launch(n: layer.outChannels)
            let pipeline = try pipeline(l, pool: true, formats: ["IN": inputFormat, "OUT": .float32])
            let push = [batch * pixels, layer.inChannels, layer.outChannels, layer.relu6 ? 1 : 0, 0, pixels]
            try sequence.dispatch(pipeline, [input, weights, bias, input, output], push: push.map { UInt32($0) },
                                  groups: (ceilDiv(layer.outChannels, l.sgN * 2 * shape.n), batch, 1))
        }
    }
}
