import Foundation
import VulkanRuntime

/// MobileNetV2's head: the last 1×1 convolution (`Conv_1`, ReLU6) fused with the global average pool, so
/// the N×P×C head activation is never stored. Its reference is the two layer references in a row; the
/// fast CPU face is `PointwiseConv.cpuPooled`.
public enum HeadPool {
    /// Plain reference: `GlobalAveragePool.reference` of `PointwiseConv.reference` (no residual); N×C.
    public static func reference(_ x: Tensor, _ layer: ConvLayer) -> [Float] {
        GlobalAveragePool.reference(PointwiseConv.reference(x, layer, residual: nil))
    }

    /// How the Vulkan engine runs the head: `fused` (`head_pool.comp`, the head activation never stored) or
    /// `separate` (`pointwise_conv.comp` into an N×P×C activation, then `global_average_pool.comp`).
    /// Engines are fused by default on every device (docs/VULKAN.md has the measurements); the CLI takes
    /// `$IMGFEAT_VULKAN_HEAD_POOL` for benchmarks. Both give the reference's features (at fp16 `separate`
    /// also rounds the head activation to 16 bits).
    public enum Mode: String, Sendable, CaseIterable {
        case fused, separate
    }


    /// Launcher of `head_pool.comp`: per image, the mean over its pixels of the convolution's output,
    /// written as float32 N×C.
    public final class Vulkan: @unchecked Sendable {
        /// How the pixel blocks' partial sums are added: `subgroupAdd` or shared memory (`KernelReduction`).
        public let reduction: KernelReduction
        /// Work-group shape. Shared memory: x channel groups, y pixel blocks whose partial sums are added in
        /// shared memory. Subgroup: x invocations (y 1), in subgroups that each take whole channel groups.
        public let shape: (x: Int, y: Int)
        /// Output channels each invocation accumulates (its register tile is pixel block × channels).
        public let channelsPerInvocation: Int
        /// Subgroup variant: channel groups of `channelsPerInvocation` channels per work group (1 otherwise).
        public let groups: Int
        /// Whether layers whose output channels (and `channelsPerInvocation`) are multiples of 4 take the VEC4
        /// variant (weights, bias and sums as vec4); `vectorized(_:)` says for a layer.
        public let vectorize: Bool
        /// Most pixels per block; `pixelBlock(_:)` spreads an image's pixels evenly over blocks of at most this.
        static let maxPixelBlock = 8
        private let subgroupSize: Int
        private let pipelines: SpecializedPipelines

        /// `reduction` nil takes `KernelReduction.choose(context.info)`; `shape`, `channelsPerInvocation` and
        /// `groups` nil pick by device. Shared memory: CPU drivers such as lavapipe 8×1 work groups (no shared
        /// memory, no barrier) and 8×16 register tiles, measured fastest there (2.5× the 4×4 tiles of the
        /// GEMM, docs/VULKAN.md); GPUs 32×8 work groups (a warp across channels, the pixel blocks across y)
        /// and 8×8 tiles, shrunk to the device's work-group and shared-memory limits. Subgroup (GPUs by
        /// default, CPU drivers when asked): four subgroups of 8 channels each on GPUs, one of 16 channels on
        /// CPU drivers (the reported subgroup size only sizes the work group).
        public init(context: VulkanContext, shape: (x: Int, y: Int)? = nil, channelsPerInvocation: Int? = nil,
                    reduction: KernelReduction? = nil, groups: Int? = nil, vectorize: Bool = true) throws {
            let info = context.info
            let cpu = info.kind == .cpu
            let reduction = reduction ?? KernelReduction.choose(info)
            let sub = max(1, Int(info.subgroupSize))
            var chosen: (x: Int, y: Int)
            let channels = channelsPerInvocation ?? (cpu ? 16 : 8)
            let maxX = min(Int(info.maxWorkgroupInvocations), Int(info.maxWorkgroupSize[0]))
            let fits = { (s: (x: Int, y: Int)) in
                s.x * s.y <= Int(info.maxWorkgroupInvocations) && s.x <= Int(info.maxWorkgroupSize[0])
                    && s.y <= Int(info.maxWorkgroupSize[1])
                    && (reduction == .subgroup || s.x * s.y * channels * 4 <= Int(info.maxSharedMemoryBytes))
            }
            switch reduction {
            case .subgroup:
                chosen = shape ?? (min(cpu ? sub : 4 * sub, maxX), 1)
            case .sharedMemory:
                chosen = shape ?? (cpu ? (8, 1) : (32, 8))
                if shape == nil {
                    while !fits(chosen) && chosen.y > 1 { chosen.y /= 2 }
                    while !fits(chosen) && chosen.x > 1 { chosen.x /= 2 }
                }
            }
            let groups = reduction == .subgroup ? groups ?? max(1, ceilDiv(chosen.x, sub)) : 1
            guard chosen.x >= 1, chosen.y >= 1, channels >= 1, groups >= 1, fits(chosen),
                  reduction == .sharedMemory || chosen.y == 1 else {
                throw VulkanError(call: "HeadPool.Vulkan", message: "work group \(chosen.x)×\(chosen.y) with \(channels) channels per invocation exceeds \(info.name)'s limits")
            }
            try reduction.check(info, call: "HeadPool.Vulkan")
            self.reduction = reduction
            self.shape = chosen
            self.channelsPerInvocation = channels
            self.groups = groups
            self.vectorize = vectorize
            subgroupSize = sub
            pipelines = SpecializedPipelines(context: context, shader: "head_pool", bindings: 4, pushWords: 5)
        }

        /// Whether `layer` runs the VEC4 variant: allowed, and its output channels and each invocation's a
        /// whole number of vec4s (every real head: 1280; the scalar variant is the fallback it is tested against).
        public func vectorized(_ layer: ConvLayer) -> Bool {
            vectorize && layer.outChannels % 4 == 0 && channelsPerInvocation % 4 == 0
        }

        /// Output channels one work group covers.
        var tileChannels: Int { channelsPerInvocation * (reduction == .subgroup ? groups : shape.x) }

        /// Pixels per block for images of `pixels` pixels: as many blocks as blocks of `maxPixelBlock` need,
        /// evenly filled (49 → 7 blocks of 7, 9 → 2 of 5), so few tile rows are wasted.
        static func pixelBlock(_ pixels: Int) -> Int {
            ceilDiv(pixels, ceilDiv(pixels, maxPixelBlock))
        }

        /// Pixels per block for this launch: with subgroups, blocks enough for about one per lane of a
        /// subgroup of the reported size (at most `maxPixelBlock` pixels each), evenly filled.
        public func pixelBlock(_ pixels: Int) -> Int {
            guard reduction == .subgroup else { return Self.pixelBlock(pixels) }
            let block = min(Self.maxPixelBlock, ceilDiv(pixels, subgroupSize))
            return ceilDiv(pixels, ceilDiv(pixels, block))
        }

        /// Records `layer` over `batch` images of `pixels` pixels each (`input` N×pixels×inChannels, stored as
        /// `inputFormat`), writing each image's channel means to `output` (N×outChannels float32); products
        /// and per-pixel sums in `arithmetic`, the channel sums over pixels in float32 whatever it is.
        public func record(_ sequence: CommandSequence, layer: ConvLayer, batch: Int, pixels: Int,
                           input: BufferBinding, inputFormat: StorageFormat, weights: BufferBinding,
                           bias: BufferBinding, output: BufferBinding, arithmetic: KernelArithmetic = .float32) throws {
            precondition(layer.kind == .pointwise && batch >= 1 && pixels >= 1,
                         "\(layer.name): head pool needs a 1×1 convolution, at least one image and one pixel")
            let vec4 = vectorized(layer)
            let units = vec4 ? channelsPerInvocation / 4 : channelsPerInvocation
            let specialization = [shape.x, shape.y, pixelBlock(pixels), units, groups].map { UInt32($0) }
            let pipeline = try pipelines.get(specialization, formats: ["IN": inputFormat], arithmetic: arithmetic,
                                             defines: reduction.defines.merging(vec4 ? ["VEC4": "1"] : [:]) { a, _ in a })
            let push = [batch, pixels, layer.inChannels, layer.outChannels, layer.relu6 ? 1 : 0].map { UInt32($0) }
            try sequence.dispatch(pipeline, [input, weights, bias, output], push: push,
                                  groups: (ceilDiv(layer.outChannels, tileChannels), batch, 1))
        }
    }
}
