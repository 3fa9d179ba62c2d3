/// The full (dense) convolution of the stem, Conv1: every output channel sees every input channel.
public enum StemConv: WindowedConvolution {
    public static let layerKind = ConvLayer.Kind.full

    /// Plain reference: zero padding per `layer.padBefore`, bias, then ReLU6 if `layer.relu6`.
    public static func reference(_ x: Tensor, _ layer: ConvLayer) -> Tensor {
        let cin = layer.inChannels, cout = layer.outChannels
        // Weights are [k][k][in][out]: a tap adds every input channel into every output channel.
        return referenceWalk(x, layer) { input, inBase, tap, w, acc in
            for ci in 0..<cin {
                let v = input[inBase + ci]
                let wBase = (tap * cin + ci) * cout
                for co in 0..<cout { acc[co] += v * w[wBase + co] }
            }
        }
    }
}

/// min(max(v, 0), 6), as Keras ReLU(6.0).
@inline(__always) func relu6(_ v: Float) -> Float { min(max(v, 0), 6) }
