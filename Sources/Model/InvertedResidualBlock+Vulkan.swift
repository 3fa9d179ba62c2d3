import VulkanRuntime

extension InvertedResidualBlock {
    /// Profile label of the block when it runs fused: its Keras prefix ("expanded_conv", "block_3").
    public var name: String {
        let project = self.project.name
        return project.hasSuffix("_project") ? String(project.dropLast("_project".count)) : "block_\(index)"
    }

    /// Launcher of `inverted_residual_block.comp`: the whole block (expand, depthwise, project, residual)
    /// in one dispatch over output tiles, the expanded activations kept in shared memory.
    public final class Vulkan: @unchecked Sendable {
        private let pipelines: SpecializedPipelines
        private let limits: FusedBlockLaunch.Limits
        private let maxBatch: Int

        public init(context: VulkanContext) {
            pipelines = SpecializedPipelines(context: context, shader: "inverted_residual_block", bindings: 8, pushWords: 10)
            limits = FusedBlockLaunch.Limits(context.info)
            maxBatch = Int(context.info.maxWorkgroupCount[2])
        }

        /// The device's launch for `block` on `height × width` inputs, nil where it does not fit.
        public func launch(_ block: InvertedResidualBlock, height: Int, width: Int) -> FusedBlockLaunch? {
            FusedBlockLaunch.choose(FusedBlockLaunch.Shape(block, height: height, width: width), limits: limits)
        }

        /// Records `block` over a batch of `height × width` inputs (`input` stored as `inputFormat`, which is
        /// also the residual's) into `output` (stored as `outputFormat`). `parameters` are the weights and
        /// biases of `block.inOrder`; `launch` defaults to `launch(block, height:, width:)`.
        public func record(_ sequence: CommandSequence, block: InvertedResidualBlock, batch: Int, height: Int, width: Int,
                           input: BufferBinding, inputFormat: StorageFormat,
                           parameters: [(weights: BufferBinding, bias: BufferBinding)],
                           output: BufferBinding, outputFormat: StorageFormat, launch explicit: FusedBlockLaunch? = nil) throws {
            let dw = block.depthwise, project = block.project
            precondition(parameters.count == block.inOrder.count, "block \(block.index): \(parameters.count) parameter pairs for \(block.inOrder.count) layers")
            precondition(!block.residual || (dw.stride == 1 && project.outChannels == (block.expand?.inChannels ?? dw.inChannels)),
                         "block \(block.index): a residual needs stride 1 and as many output channels as input channels")
            precondition(batch >= 1 && batch <= maxBatch, "batch \(batch) outside 1...\(maxBatch)")
            try checkOutput(project, outputFormat)
            guard let launch = explicit ?? self.launch(block, height: height, width: width) else {
                throw VulkanError(call: "InvertedResidualBlock.Vulkan", message: "block \(block.index) (\(block.name)) does not fit the device's shared memory or work-group limits")
            }
            precondition(launch.stride == dw.stride && launch.kernelSize == dw.kernelSize, "launch for stride \(launch.stride), block has \(dw.stride)")
            let specialization = [launch.groupX, launch.groupY, launch.tileHeight, launch.tileWidth, launch.chunk,
                                  dw.stride, dw.kernelSize, launch.pixelsPerInvocation, launch.channelsPerInvocation].map { UInt32($0) }
            let pipeline = try pipelines.get(specialization, formats: ["IN": inputFormat, "OUT": outputFormat])
            let outH = dw.outputSize(inputSize: height), outW = dw.outputSize(inputSize: width)
            let expandRelu6 = block.expand?.relu6 ?? false
            let flags = (block.expand != nil ? 1 : 0) | (block.residual ? 2 : 0) | (expandRelu6 ? 4 : 0)
                | (dw.relu6 ? 8 : 0) | (project.relu6 ? 16 : 0)
            let push = [height, width, outH, outW, block.expand?.inChannels ?? dw.inChannels, dw.inChannels,
                        project.outChannels, dw.padBefore(inputSize: height), dw.padBefore(inputSize: width), flags].map { UInt32($0) }
            // Without an expand layer its two bindings take the depthwise ones (never read).
            let p = parameters, expandPair = p[0]
            let (dwPair, projectPair) = block.expand != nil ? (p[1], p[2]) : (p[0], p[1])
            try sequence.dispatch(pipeline, [input, expandPair.weights, expandPair.bias, dwPair.weights, dwPair.bias,
                                             projectPair.weights, projectPair.bias, output],
                                  push: push, groups: (ceilDiv(outW, launch.tileWidth), ceilDiv(outH, launch.tileHeight), batch))
        }
    }
}
