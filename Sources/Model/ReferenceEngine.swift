/// The plain CPU engine: runs the reference kernels layer by layer; the oracle the fast engines are tested against.
public final class ReferenceEngine: FeatureEngine {
    public let name = "reference"
    public let model: FoldedMobileNetV2

    /// An engine over `model`.
    public init(model: FoldedMobileNetV2) {
        self.model = model
    }

    public func features(_ input: Tensor) throws -> [Float] {
        try checkInput(input)
        var x = StemConv.reference(input, model.stem)
        for block in model.blocks {
            let blockInput = x
            if let expand = block.expand { x = PointwiseConv.reference(x, expand, residual: nil) }
            x = DepthwiseConv.reference(x, block.depthwise)
            x = PointwiseConv.reference(x, block.project, residual: block.residual ? blockInput : nil)
        }
        x = PointwiseConv.reference(x, model.head, residual: nil)
        return GlobalAveragePool.reference(x)
    }
}
