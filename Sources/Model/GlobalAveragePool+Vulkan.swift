import VulkanRuntime

extension GlobalAveragePool {
    /// Launcher of `global_average_pool.comp`: per-image, per-channel mean, written as float32.
    public final class Vulkan: @unchecked Sendable {
        /// One invocation per channel walking the pixels (`sharedMemory`, the variant every device runs), or
        /// the pixels split across a subgroup's lanes and added with `subgroupAdd` (`subgroup`).
        public let reduction: KernelReduction
        /// Invocations per work group (the default variant: 64 channels).
        public let invocations: Int
        /// Subgroup variant: adjacent channels per lane, and channel groups of them per work group.
        public let channelsPerInvocation: Int
        public let groups: Int
        private let pipelines: SpecializedPipelines

        /// `reduction` nil takes `KernelReduction.choose(context.info)`. The subgroup variant's launch nil: one
        /// subgroup of the reported size per channel group, 16 channels per lane on CPU drivers; on GPUs four
        /// groups per work group, 8 channels per lane (32 contiguous bytes, a whole memory sector, from each
        /// lane's pixel).
        public init(context: VulkanContext, reduction: KernelReduction? = nil, invocations: Int? = nil,
                    channelsPerInvocation: Int? = nil, groups: Int? = nil) throws {
            let info = context.info
            let reduction = reduction ?? KernelReduction.choose(info)
            let sub = max(1, Int(info.subgroupSize)), cpu = info.kind == .cpu
            let maxX = min(Int(info.maxWorkgroupInvocations), Int(info.maxWorkgroupSize[0]))
            let invocations = invocations ?? min(reduction == .subgroup ? (cpu ? sub : 4 * sub) : 64, maxX)
            let channels = reduction == .subgroup ? channelsPerInvocation ?? (cpu ? 16 : 8) : 1
            let groups = reduction == .subgroup ? groups ?? max(1, ceilDiv(invocations, sub)) : 1
            guard invocations >= 1, invocations <= maxX, channels >= 1, groups >= 1 else {
                throw VulkanError(call: "GlobalAveragePool.Vulkan", message: "work group of \(invocations) exceeds \(info.name)'s limits")
            }
            try reduction.check(info, call: "GlobalAveragePool.Vulkan")
            self.reduction = reduction
            self.invocations = invocations
            self.channelsPerInvocation = channels
            self.groups = groups
            pipelines = SpecializedPipelines(context: context, shader: "global_average_pool", bindings: 2, pushWords: 3)
        }

        /// Records the mean over `pixels` pixels of `channels` channels for each of `batch` images, reading
        /// `input` stored as `inputFormat`.
        public func record(_ sequence: CommandSequence, batch: Int, pixels: Int, channels: Int,
                           input: BufferBinding, inputFormat: StorageFormat, output: BufferBinding) throws {
            let specialization = [invocations, channelsPerInvocation, groups].map { UInt32($0) }
            let pipeline = try pipelines.get(specialization, formats: ["IN": inputFormat], defines: reduction.defines)
            let perGroup = reduction == .subgroup ? groups * channelsPerInvocation : invocations
            try sequence.dispatch(pipeline, [input, output], push: [batch, pixels, channels].map { UInt32($0) },
                                  groups: (ceilDiv(channels, perGroup), batch, 1))
        }
    }
}
