import Foundation
import VulkanRuntime

extension StemConv {
    /// Launcher of `stem_conv.comp`: a dense KxK convolution with fused bias and ReLU6.
    public final class Vulkan: @unchecked Sendable {
        private let pipelines: SpecializedPipelines

        public init(context: VulkanContext) {
            pipelines = SpecializedPipelines(context: context, shader: "stem_conv", bindings: 4, pushWords: 9)
        }

        /// Records `layer` over a batch of `height × width` inputs (shape only; weights come from the bindings),
        /// reading `input` stored as `inputFormat` and writing `output` as `outputFormat`.
        public func record(_ sequence: CommandSequence, layer: ConvLayer, batch: Int, height: Int, width: Int,
                           input: BufferBinding, inputFormat: StorageFormat, weights: BufferBinding,
                           bias: BufferBinding, output: BufferBinding, outputFormat: StorageFormat) throws {
            try checkOutput(layer, outputFormat)
            let localX = channelGroup(layer.outChannels)
            let pipeline = try pipelines.get([UInt32(localX), UInt32(layer.kernelSize), UInt32(layer.inChannels)],
                                             formats: ["IN": inputFormat, "OUT": outputFormat])
            let launch = WindowedConvLaunch(layer, batch: batch, height: height, width: width,
                                            channels: layer.outChannels, localX: localX)
            try sequence.dispatch(pipeline, [input, weights, bias, output], push: launch.push, groups: launch.groups)
        }
    }
}
