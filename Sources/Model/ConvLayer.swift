/// One convolution with its BatchNorm folded in and an optional ReLU6, as in Keras MobileNetV2.
public struct ConvLayer: Sendable {
    /// How the kernel connects input to output channels.
    public enum Kind: Sendable, Hashable { case full, depthwise, pointwise }

    /// Keras layer name: "Conv1", "expanded_conv_depthwise", "block_3_expand", "block_3_project", "Conv_1".
    public var name: String
    public var kind: Kind
    /// Kernel side: 3 or 1.
    public var kernelSize: Int
    /// 1 or 2.
    public var stride: Int
    public var inChannels: Int
    /// Equals `inChannels` for depthwise layers.
    public var outChannels: Int
    /// Whether ReLU6 follows (after the residual add for pointwise layers).
    public var relu6: Bool
    /// BatchNorm folded in. full: [kh][kw][in][out]; pointwise: [in][out]; depthwise: [kh][kw][c].
    public var weights: [Float]
    /// [out], BatchNorm folded in.
    public var bias: [Float]

    /// A layer; `weights` and `bias` must have `weightCount` and `outChannels` elements.
    public init(name: String, kind: Kind, kernelSize: Int, stride: Int, inChannels: Int, outChannels: Int,
                relu6: Bool, weights: [Float], bias: [Float]) {
        self.name = name
        self.kind = kind
        self.kernelSize = kernelSize
        self.stride = stride
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.relu6 = relu6
        self.weights = weights
        self.bias = bias
    }

    /// Number of weights the kind and shape call for.
    public var weightCount: Int {
        switch kind {
        case .full: return kernelSize * kernelSize * inChannels * outChannels
        case .pointwise: return inChannels * outChannels
        case .depthwise: return kernelSize * kernelSize * inChannels
        }
    }

    /// Output side for a square input: ceil(inputSize / stride), as Keras "same" (or correct_pad + "valid").
    public func outputSize(inputSize: Int) -> Int { (inputSize + stride - 1) / stride }

    /// Zero rows (and columns) padded before the input; the rest of the padding goes after.
    /// Stride 2: 0 for even, 1 for odd input (TF "same" and Keras correct_pad agree); 3×3 stride 1: 1; 1×1: 0.
    public func padBefore(inputSize: Int) -> Int {
        let out = outputSize(inputSize: inputSize)
        let total = max((out - 1) * stride + kernelSize - inputSize, 0)
        return total / 2
    }
}
