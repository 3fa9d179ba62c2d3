/// A batch of feature maps in NHWC order, float32.
public struct Tensor: Sendable {
    public var batch: Int
    public var height: Int
    public var width: Int
    public var channels: Int
    /// Elements in NHWC order: ((n * height + y) * width + x) * channels + c.
    public var data: [Float]

    /// A tensor over existing data; `data.count` must equal batch × height × width × channels.
    public init(batch: Int, height: Int, width: Int, channels: Int, data: [Float]) {
        precondition(batch >= 0 && height >= 0 && width >= 0 && channels >= 0, "negative tensor dimension")
        precondition(data.count == batch * height * width * channels,
                     "tensor data has \(data.count) elements, shape needs \(batch * height * width * channels)")
        self.batch = batch
        self.height = height
        self.width = width
        self.channels = channels
        self.data = data
    }

    /// A tensor with every element set to `repeating`.
    public init(batch: Int, height: Int, width: Int, channels: Int, repeating: Float) {
        self.init(batch: batch, height: height, width: width, channels: channels,
                  data: [Float](repeating: repeating, count: batch * height * width * channels))
    }

    /// Number of elements in one image of the batch.
    public var elementsPerImage: Int { height * width * channels }
}
