import VulkanRuntime

extension GlobalAveragePool {
    /// Launcher of `global_average_pool.comp`: per-image, per-channel mean, written as float32.
    public final class Vulkan: @unchecked Sendable {
        let pipeline: ComputePipeline

        public init(context: VulkanContext, precision: VulkanPrecision = .fp32) throws {
            pipeline = try makePipeline(context, "global_average_pool", precision: precision, bindings: 2, pushWords: 3)
        }

        /// Records the mean over `pixels` pixels of `channels` channels for each of `batch` images.
        public func record(_ sequence: CommandSequence, batch: Int, pixels: Int, channels: Int,
                           input: BufferBinding, output: BufferBinding) throws {
            try sequence.dispatch(pipeline, [input, output], push: [batch, pixels, channels].map { UInt32($0) },
                                  groups: (ceilDiv(channels, 64), batch, 1))
        }
    }
}
