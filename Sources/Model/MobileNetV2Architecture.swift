/// Shape of one convolution before weights are attached, with the BatchNorm layer that follows it.
public struct ConvSpec: Sendable, Hashable {
    public var name: String
    public var batchNormName: String
    public var kind: ConvLayer.Kind
    public var kernelSize: Int
    public var stride: Int
    public var inChannels: Int
    public var outChannels: Int
    public var relu6: Bool

    /// Shape of the Keras kernel: (kh, kw, in, out) for convolutions, (kh, kw, in, 1) for depthwise.
    public var kerasKernelShape: [Int] {
        switch kind {
        case .full: return [kernelSize, kernelSize, inChannels, outChannels]
        case .pointwise: return [1, 1, inChannels, outChannels]
        case .depthwise: return [kernelSize, kernelSize, inChannels, 1]
        }
    }

    /// This shape with folded weights attached.
    public func layer(weights: [Float], bias: [Float]) -> ConvLayer {
        ConvLayer(name: name, kind: kind, kernelSize: kernelSize, stride: stride, inChannels: inChannels,
                  outChannels: outChannels, relu6: relu6, weights: weights, bias: bias)
    }
}

/// The layer shapes of Keras' MobileNetV2 for one configuration (keras/src/applications/mobilenet_v2.py).
public struct MobileNetV2Architecture: Sendable {
    /// Shapes of one inverted residual block.
    public struct Block: Sendable {
        public var index: Int
        public var expand: ConvSpec?
        public var depthwise: ConvSpec
        public var project: ConvSpec
        public var residual: Bool
    }

    public var config: MobileNetV2Config
    public var stem: ConvSpec
    public var blocks: [Block]
    public var head: ConvSpec

    /// Expansion t, base channels c, repeats n, first stride s, as in the paper and Keras.
    static let stages: [(t: Int, c: Int, n: Int, s: Int)] = [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]

    /// The shapes Keras builds for `config`; throws on an invalid config.
    public init(config: MobileNetV2Config) throws {
        try config.validate()
        self.config = config
        let alpha = config.alpha
        let stemFilters = makeDivisible(32 * alpha)
        stem = ConvSpec(name: "Conv1", batchNormName: "bn_Conv1", kind: .full, kernelSize: 3, stride: 2,
                        inChannels: 3, outChannels: stemFilters, relu6: true)
        var channels = stemFilters
        var blocks: [Block] = []
        for stage in Self.stages {
            for repeatIndex in 0..<stage.n {
                let id = blocks.count
                let stride = repeatIndex == 0 ? stage.s : 1
                let prefix = id == 0 ? "expanded_conv_" : "block_\(id)_"
                // Keras truncates c·α to an int before rounding to a multiple of 8.
                let outFilters = makeDivisible(Double(Int(Double(stage.c) * alpha)))
                let expanded = stage.t * channels
                let expand: ConvSpec? = id == 0 ? nil : ConvSpec(
                    name: prefix + "expand", batchNormName: prefix + "expand_BN", kind: .pointwise, kernelSize: 1,
                    stride: 1, inChannels: channels, outChannels: expanded, relu6: true)
                let depthwise = ConvSpec(
                    name: prefix + "depthwise", batchNormName: prefix + "depthwise_BN", kind: .depthwise,
                    kernelSize: 3, stride: stride, inChannels: expanded, outChannels: expanded, relu6: true)
                let project = ConvSpec(
                    name: prefix + "project", batchNormName: prefix + "project_BN", kind: .pointwise, kernelSize: 1,
                    stride: 1, inChannels: expanded, outChannels: outFilters, relu6: false)
                blocks.append(Block(index: id, expand: expand, depthwise: depthwise, project: project,
                                    residual: channels == outFilters && stride == 1))
                channels = outFilters
            }
        }
        self.blocks = blocks
        let headFilters = alpha > 1.0 ? makeDivisible(1280 * alpha) : 1280
        head = ConvSpec(name: "Conv_1", batchNormName: "Conv_1_bn", kind: .pointwise, kernelSize: 1, stride: 1,
                        inChannels: channels, outChannels: headFilters, relu6: true)
    }

    /// Every convolution in the order Keras creates them (each is followed by its BatchNorm).
    public var convolutions: [ConvSpec] { layersInOrder(stem: stem, blocks: blocks, head: head) }

    /// Length of the output vector.
    public var featureDimension: Int { head.outChannels }

    /// Builds the folded model by attaching a layer to every convolution spec, in Keras order.
    public func assemble(weightsIdentity: String, _ makeLayer: (ConvSpec) throws -> ConvLayer) rethrows
        -> FoldedMobileNetV2 {
        let stemLayer = try makeLayer(stem)
        var folded: [InvertedResidualBlock] = []
        for block in blocks {
            let expand = try block.expand.map(makeLayer)
            let depthwise = try makeLayer(block.depthwise)
            let project = try makeLayer(block.project)
            folded.append(InvertedResidualBlock(index: block.index, expand: expand, depthwise: depthwise,
                                                project: project, residual: block.residual))
        }
        return FoldedMobileNetV2(config: config, stem: stemLayer, blocks: folded, head: try makeLayer(head),
                                 weightsIdentity: weightsIdentity)
    }
}
