/// Push constants and grid of the K×K windowed convolution shaders (`stem_conv.comp`,
/// `depthwise_conv.comp`), which share them: one invocation per output channel (`channels`, in work
/// groups of `localX`), output column, and output row of each image.
struct WindowedConvLaunch {
    let push: [UInt32]
    let groups: (Int, Int, Int)

    init(_ layer: ConvLayer, batch: Int, height: Int, width: Int, channels: Int, localX: Int) {
        let outH = layer.outputSize(inputSize: height), outW = layer.outputSize(inputSize: width)
        push = [height, width, outH, outW, channels, layer.stride,
                layer.padBefore(inputSize: height), layer.padBefore(inputSize: width),
                layer.relu6 ? 1 : 0].map { UInt32($0) }
        groups = (ceilDiv(channels, localX), outW, batch * outH)
    }
}
