/// One MobileNetV2 bottleneck: optional 1×1 expand, 3×3 depthwise, 1×1 linear projection, optional residual add.
public struct InvertedResidualBlock: Sendable {
    /// Keras block_id: 0 ("expanded_conv_") to 16.
    public var index: Int
    /// Absent in block 0, whose expansion factor is 1.
    public var expand: ConvLayer?
    public var depthwise: ConvLayer
    public var project: ConvLayer
    /// Whether the block input is added to the projection (same channels, stride 1).
    public var residual: Bool

    /// A block from its layers.
    public init(index: Int, expand: ConvLayer?, depthwise: ConvLayer, project: ConvLayer, residual: Bool) {
        self.index = index
        self.expand = expand
        self.depthwise = depthwise
        self.project = project
        self.residual = residual
    }
}
