import VulkanRuntime

extension PointwiseConv {
    /// Launcher of `pointwise_conv.comp`: a tiled GEMM with fused bias, residual and ReLU6.
    public final class Vulkan: @unchecked Sendable {
        /// Wide tiles for wide layers; a narrow-N, tall-M variant for layers with few output channels.
        static let wideShape = (x: 16, y: 16)
        static let narrowShape = (x: 4, y: 32)
        private let pipelines: SpecializedPipelines
        private let wideSpecialization: [UInt32]
        private let narrowSpecialization: [UInt32]

        /// Whether the GEMM stages tiles in shared memory (GPUs) or reads buffers directly (CPU drivers).
        public let sharedTiles: Bool

        /// `sharedTiles` nil picks by device: off for CPU drivers such as lavapipe, on otherwise.
        public init(context: VulkanContext, sharedTiles: Bool? = nil) {
            let shared = sharedTiles ?? (context.info.kind != .cpu)
            self.sharedTiles = shared
            // TILE_K bounded so both shared tiles fit the device's shared memory.
            let sharedBytes = Int(context.info.maxSharedMemoryBytes)
            func specialization(_ shape: (x: Int, y: Int)) -> [UInt32] {
                let perK = (shape.x + shape.y) * 4 * 4
                return [UInt32(shape.x), UInt32(shape.y), UInt32(max(4, min(16, sharedBytes / perK))), shared ? 1 : 0]
            }
            wideSpecialization = specialization(Self.wideShape)
            narrowSpecialization = specialization(Self.narrowShape)
            pipelines = SpecializedPipelines(context: context, shader: "pointwise_conv", bindings: 5, pushWords: 5)
        }

        /// Records `layer` over `pixels` input rows; `residual` (same shape and format as the output) is added
        /// before ReLU6. `input` is stored as `inputFormat`, `residual` and `output` as `outputFormat`.
        public func record(_ sequence: CommandSequence, layer: ConvLayer, pixels: Int, input: BufferBinding,
                           inputFormat: StorageFormat, weights: BufferBinding, bias: BufferBinding,
                           residual: BufferBinding?, output: BufferBinding, outputFormat: StorageFormat) throws {
            try checkOutput(layer, outputFormat)
            let n = layer.outChannels
            let useNarrow = n <= 16
            let shape = useNarrow ? Self.narrowShape : Self.wideShape
            let pipeline = try pipelines.get(useNarrow ? narrowSpecialization : wideSpecialization,
                                             formats: ["IN": inputFormat, "OUT": outputFormat])
            let push = [pixels, layer.inChannels, n, layer.relu6 ? 1 : 0, residual == nil ? 0 : 1].map { UInt32($0) }
            try sequence.dispatch(pipeline, [input, weights, bias, residual ?? input, output],
                                  push: push, groups: (ceilDiv(n, shape.x * 4), ceilDiv(pixels, shape.y * 4), 1))
        }
    }
}
