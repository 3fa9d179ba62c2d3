import VulkanRuntime

/// The launcher shared by the K×K windowed convolution shaders (`stem_conv.comp`, `depthwise_conv.comp`),
/// which take the same push constants and grid: one invocation per output channel (or vec4 channel group
/// and `columnsPerInvocation` output columns, where the channels are a multiple of 4), output column, and
/// output row of each image. `StemConv.Vulkan` and `DepthwiseConv.Vulkan` name the shader.
public class WindowedConvLauncher: @unchecked Sendable {
    /// Whether layers whose channels are a multiple of 4 run in the shader's vec4 variant.
    public let vectorized: Bool
    /// Output columns each vec4 invocation computes (sharing its input loads and weights).
    public let columnsPerInvocation: Int
    private let pipelines: SpecializedPipelines
    /// The device's grid limits and storage alignment, for `GridSplit`.
    private let device: DeviceInfo

    /// `vectorized` nil: on (every device: 128-bit loads coalesced across channel groups on GPUs, far
    /// fewer load instructions on CPU drivers). `columnsPerInvocation` nil: 4 on CPU drivers, where a load
    /// saved is what pays (docs/VULKAN.md), 2 on GPUs, where more invocations keep more warps resident.
    init(context: VulkanContext, shader: String, vectorized: Bool?, columnsPerInvocation: Int?) {
        self.vectorized = vectorized ?? true
        self.columnsPerInvocation = max(1, columnsPerInvocation ?? (context.info.kind == .cpu ? 4 : 2))
        pipelines = SpecializedPipelines(context: context, shader: shader, bindings: 4, pushWords: 9)
        device = context.info
    }

    /// Records `layer` over a batch of `height × width` inputs (shape only; weights come from the bindings),
    /// reading `input` stored as `inputFormat`, writing `output` as `outputFormat`, computing in `arithmetic`;
    /// `columns` (nil: `columnsPerInvocation`) output columns per vec4 invocation.
    public func record(_ sequence: CommandSequence, layer: ConvLayer, batch: Int, height: Int, width: Int,
                       input: BufferBinding, inputFormat: StorageFormat, weights: BufferBinding,
                       bias: BufferBinding, output: BufferBinding, outputFormat: StorageFormat,
                       arithmetic: KernelArithmetic = .float32, columns: Int? = nil) throws {
        let columnsPerInvocation = max(1, columns ?? self.columnsPerInvocation)
        try checkOutput(layer, outputFormat)
        let channels = layer.outChannels
        let vec4 = vectorized && channels % 4 == 0
        let lanes = vec4 ? channels / 4 : channels
        let localX = channelGroup(lanes)
        let outH = layer.outputSize(inputSize: height), outW = layer.outputSize(inputSize: width)
        // The stem's shader also takes its input channels; the vec4 variants the stride and columns.
        var specialization = [localX, layer.kernelSize] + (layer.kind == .full ? [layer.inChannels] : [])
        if vec4 { specialization += [layer.stride, columnsPerInvocation] }
        let pipeline = try pipelines.get(specialization.map { UInt32($0) }, formats: ["IN": inputFormat, "OUT": outputFormat],
                                         arithmetic: arithmetic, defines: ["VEC4": vec4 ? "1" : "0"])
        let push = [height, width, outH, outW, channels, layer.stride,
                    layer.padBefore(inputSize: height), layer.padBefore(inputSize: width),
                    layer.relu6 ? 1 : 0].map { UInt32($0) }
        let columnGroups = vec4 ? ceilDiv(outW, columnsPerInvocation) : outW
        // Images × output rows run along the grid's z axis: past the device's limit, one dispatch per run of images.
        let maxZ = Int(device.maxWorkgroupCount[2])
        guard outH <= maxZ else {
            throw VulkanError(call: "GridSplit", message: "\(layer.name): an image's \(outH) output rows pass the device's \(maxZ) work groups a dispatch along z")
        }
        let imageBytes = (input: height * width * layer.inChannels * inputFormat.size, output: outH * outW * channels * outputFormat.size)
        let split = try GridSplit(items: batch, perGroup: 1, maxGroups: maxZ / outH,
                                  bytesPerItem: [imageBytes.input, imageBytes.output],
                                  alignment: Int(device.minStorageBufferOffsetAlignment), what: layer.name)
        for run in split.runs {
            try sequence.dispatch(pipeline, [input.items(run, bytesPerItem: imageBytes.input), weights, bias,
                                             output.items(run, bytesPerItem: imageBytes.output)],
                                  push: push, groups: (ceilDiv(lanes, localX), columnGroups, run.count * outH))
        }
    }
}
