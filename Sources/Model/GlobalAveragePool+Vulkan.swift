import VulkanRuntime

extension GlobalAveragePool {
    /// Launcher of `global_average_pool.comp`: per-image, per-channel mean, written as float32.
    public final class Vulkan: @unchecked Sendable {
        private let pipelines: SpecializedPipelines

        public init(context: VulkanContext) {
            pipelines = SpecializedPipelines(context: context, shader: "global_average_pool", bindings: 2, pushWords: 3)
        }

        /// Records the mean over `pixels` pixels of `channels` channels for each of `batch` images, reading
        /// `input` stored as `inputFormat`.
        public func record(_ sequence: CommandSequence, batch: Int, pixels: Int, channels: Int,
                           input: BufferBinding, inputFormat: StorageFormat, output: BufferBinding) throws {
            let pipeline = try pipelines.get([], formats: ["IN": inputFormat])
            try sequence.dispatch(pipeline, [input, output], push: [batch, pixels, channels].map { UInt32($0) },
                                  groups: (ceilDiv(channels, 64), batch, 1))
        }
    }
}
