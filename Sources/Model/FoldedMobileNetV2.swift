import Common

/// A MobileNetV2 up to its global average pool, with every BatchNorm folded into the convolution before it.
public struct FoldedMobileNetV2: Sendable {
    public var config: MobileNetV2Config
    /// Conv1: 3×3 stride 2 from RGB.
    public var stem: ConvLayer
    /// The 17 inverted residual blocks, block_id 0 to 16.
    public var blocks: [InvertedResidualBlock]
    /// Conv_1: 1×1 to 1280 (or more for alpha > 1) with ReLU6.
    public var head: ConvLayer
    /// Where the weights came from: "random:SEED", or "keras-h5:<file name> sha256:<hex>".
    public var weightsIdentity: String

    /// A model from its layers.
    public init(config: MobileNetV2Config, stem: ConvLayer, blocks: [InvertedResidualBlock], head: ConvLayer,
                weightsIdentity: String) {
        self.config = config
        self.stem = stem
        self.blocks = blocks
        self.head = head
        self.weightsIdentity = weightsIdentity
    }

    /// Length of the feature vector: the head's output channels.
    public var featureDimension: Int { head.outChannels }

    /// Every layer in execution order.
    public var layers: [ConvLayer] { layersInOrder(stem: stem, blocks: blocks, head: head) }

    /// Deterministic, well-scaled random weights for smoke tests and benchmarks (not a trained model).
    /// Precondition: a valid config (alpha > 0, input size ≥ 32).
    public static func random(config: MobileNetV2Config, seed: UInt64) -> FoldedMobileNetV2 {
        let architecture: MobileNetV2Architecture
        do {
            architecture = try MobileNetV2Architecture(config: config)
        } catch {
            preconditionFailure("\(error)")
        }
        var layerIndex: UInt64 = 0
        return architecture.assemble(weightsIdentity: "random:\(seed)") { spec in
            layerIndex += 1
            // One stream per layer so a layer's weights do not depend on how many came before it.
            var random = SplitMix64(seed: seed ^ (layerIndex &* 0x9E37_79B9_7F4A_7C15))
            return RandomWeights.layer(spec, random: &random)
        }
    }
}

/// Scaled uniform weights: He gain for layers followed by ReLU6, a smaller linear gain for projections so
/// residual sums stay bounded through the 17 blocks.
enum RandomWeights {
    static func layer(_ spec: ConvSpec, random: inout SplitMix64) -> ConvLayer {
        let fanIn = spec.kind == .depthwise ? spec.kernelSize * spec.kernelSize
            : spec.kernelSize * spec.kernelSize * spec.inChannels
        let gain = spec.relu6 ? 2.0 : 0.5
        let std = (gain / Double(fanIn)).squareRoot()
        // Uniform on [-a, a] has standard deviation a / √3.
        let amplitude = std * 3.0.squareRoot()
        let count = ConvLayer(name: spec.name, kind: spec.kind, kernelSize: spec.kernelSize, stride: spec.stride,
                              inChannels: spec.inChannels, outChannels: spec.outChannels, relu6: spec.relu6,
                              weights: [], bias: []).weightCount
        let weights = (0..<count).map { _ in Float(amplitude * random.nextSigned()) }
        // A small positive bias keeps ReLU6 units alive; projections get a centred one.
        let bias = (0..<spec.outChannels).map { _ in
            Float(spec.relu6 ? 0.05 + 0.1 * random.nextUnit() : 0.05 * random.nextSigned())
        }
        return spec.layer(weights: weights, bias: bias)
    }
}
