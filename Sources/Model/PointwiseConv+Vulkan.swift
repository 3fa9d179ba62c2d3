import VulkanRuntime

extension PointwiseConv {
    /// Launcher of `pointwise_conv.comp`: a tiled GEMM with fused bias, residual and ReLU6.
    public final class Vulkan: @unchecked Sendable {
        /// Wide tiles for wide layers; a narrow-N, tall-M variant for layers with few output channels.
        let wide: ComputePipeline
        let narrow: ComputePipeline
        static let wideShape = (x: 16, y: 16)
        static let narrowShape = (x: 4, y: 32)

        /// Whether the GEMM stages tiles in shared memory (GPUs) or reads buffers directly (CPU drivers).
        public let sharedTiles: Bool

        /// `sharedTiles` nil picks by device: off for CPU drivers such as lavapipe, on otherwise.
        public init(context: VulkanContext, precision: VulkanPrecision = .fp32, sharedTiles: Bool? = nil) throws {
            let shared = sharedTiles ?? (context.info.kind != .cpu)
            self.sharedTiles = shared
            // TILE_K bounded so both shared tiles fit the device's shared memory.
            let sharedBytes = Int(context.info.maxSharedMemoryBytes)
            func tileK(_ shape: (x: Int, y: Int)) -> UInt32 {
                let perK = (shape.x + shape.y) * 4 * 4
                return UInt32(max(4, min(16, sharedBytes / perK)))
            }
            wide = try makePipeline(context, "pointwise_conv", precision: precision, bindings: 5, pushWords: 5,
                                    specialization: [UInt32(Self.wideShape.x), UInt32(Self.wideShape.y), tileK(Self.wideShape), shared ? 1 : 0])
            narrow = try makePipeline(context, "pointwise_conv", precision: precision, bindings: 5, pushWords: 5,
                                      specialization: [UInt32(Self.narrowShape.x), UInt32(Self.narrowShape.y), tileK(Self.narrowShape), shared ? 1 : 0])
        }

        /// Records `layer` over `pixels` input rows; `residual` (same shape as the output) is added before ReLU6.
        public func record(_ sequence: CommandSequence, layer: ConvLayer, pixels: Int, input: BufferBinding,
                           weights: BufferBinding, bias: BufferBinding, residual: BufferBinding?,
                           output: BufferBinding) throws {
            let n = layer.outChannels
            let useNarrow = n <= 16
            let shape = useNarrow ? Self.narrowShape : Self.wideShape
            let push = [pixels, layer.inChannels, n, layer.relu6 ? 1 : 0, residual == nil ? 0 : 1].map { UInt32($0) }
            try sequence.dispatch(useNarrow ? narrow : wide, [input, weights, bias, residual ?? input, output],
                                  push: push, groups: (ceilDiv(n, shape.x * 4), ceilDiv(pixels, shape.y * 4), 1))
        }
    }
}
