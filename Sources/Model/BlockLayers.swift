/// An inverted residual block's three convolutions, whatever describes them (shapes or folded layers),
/// so the one Keras order of a network's layers is written once.
protocol BlockLayers {
    associatedtype Layer
    var expand: Layer? { get }
    var depthwise: Layer { get }
    var project: Layer { get }
}

extension BlockLayers {
    /// Expand (when there is one), depthwise, project.
    var inOrder: [Layer] { (expand.map { [$0] } ?? []) + [depthwise, project] }
}

/// Stem, every block's layers, head: the order Keras creates the convolutions and the engines run them.
func layersInOrder<Block: BlockLayers>(stem: Block.Layer, blocks: [Block], head: Block.Layer) -> [Block.Layer] {
    [stem] + blocks.flatMap(\.inOrder) + [head]
}

extension InvertedResidualBlock: BlockLayers {}
extension MobileNetV2Architecture.Block: BlockLayers {}
