/// A depthwise convolution: each channel is filtered by its own k×k kernel.
public enum DepthwiseConv: WindowedConvolution {
    public static let layerKind = ConvLayer.Kind.depthwise

    /// Plain reference: zero padding per `layer.padBefore`, bias, then ReLU6 if `layer.relu6`.
    public static func reference(_ x: Tensor, _ layer: ConvLayer) -> Tensor {
        let c = layer.inChannels
        // Weights are [k][k][channel]: a tap scales each channel by its own weight.
        return referenceWalk(x, layer) { input, inBase, tap, w, acc in
            let wBase = tap * c
            for ch in 0..<c { acc[ch] += input[inBase + ch] * w[wBase + ch] }
        }
    }
}
