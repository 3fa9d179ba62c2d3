import VulkanRuntime

extension PointwiseConv {
    /// Launcher of `pointwise_conv.comp`: a GEMM with fused bias, residual and ReLU6, in its vec4 variant
    /// where the channels allow it and the device profile asks for it, else the scalar tiled one.
    public final class Vulkan: @unchecked Sendable {
        /// Register tile and work-group size of the vec4 variant: each invocation `rows` pixels × `groups`
        /// vec4 column groups, `invocations` per work group (split between channel groups and pixels).
        public struct VectorTile: Sendable, Hashable {
            public let rows, groups, invocations: Int
            public init(rows: Int, groups: Int, invocations: Int) {
                self.rows = rows
                self.groups = groups
                self.invocations = invocations
            }
            /// CPU drivers: 8 invocations (one 256-bit SIMD row of lavapipe), 8 × 8 tiles: 16 vec4 loads per
            /// 256 multiply-adds where the scalar 4×4 tile needs 128 scalar loads (docs/VULKAN.md has the
            /// measurements).
            public static let cpu = VectorTile(rows: 8, groups: 2, invocations: 8)
        }

        /// One way to run a layer: the scalar GEMM (shared-memory tiles or direct reads) or the vec4 one with
        /// a register tile. The launcher has a device default; the launch tuning may pick another per block.
        public enum Variant: Sendable, Hashable, CustomStringConvertible {
            case scalar(sharedTiles: Bool)
            case vec4(VectorTile)

            /// "scalar 4x4, shared tiles", "scalar 4x4, direct", "vec4 8x8, 8 invocations" (pixels × channels).
            public var description: String {
                switch self {
                case .scalar(let shared): return "scalar 4x4, \(shared ? "shared tiles" : "direct")"
                case .vec4(let tile): return "vec4 \(tile.rows)x\(tile.groups * 4), \(tile.invocations) invocations"
                }
            }

            /// The variants besides a device's default that the launch tuning times on devices of `kind`: on
            /// GPUs two vec4 tiles against the shared-tile default (direct vec4 loads may beat staging in shared
            /// memory where the caches serve the reused rows; only a measurement can say), on CPU drivers the
            /// scalar direct GEMM against the vec4 default (so a forced measurement there has a choice to make).
            public static func alternatives(on kind: DeviceKind) -> [Variant] {
                kind == .cpu ? [.scalar(sharedTiles: false)]
                    : [.vec4(VectorTile(rows: 4, groups: 1, invocations: 64)), .vec4(VectorTile(rows: 8, groups: 2, invocations: 64))]
            }
        }

        /// Wide tiles for wide layers; a narrow-N, tall-M variant for layers with few output channels.
        static let wideShape = (x: 16, y: 16)
        static let narrowShape = (x: 4, y: 32)
        private let pipelines: SpecializedPipelines
        /// TILE_K of the scalar variant, bounded so both shared tiles fit the device's shared memory.
        private let wideTileK: Int
        private let narrowTileK: Int
        /// The device's grid limits and storage alignment, for `GridSplit`.
        private let device: DeviceInfo

        /// Whether the scalar variant stages tiles in shared memory (GPUs) or reads buffers directly (CPU drivers).
        public let sharedTiles: Bool
        /// The vec4 variant's tile, used for layers whose input and output channels are multiples of 4;
        /// nil: the scalar variant for every layer.
        public let vectorTile: VectorTile?
        /// The variant layers run in unless `record` is given another.
        public var defaultVariant: Variant { vectorTile.map(Variant.vec4) ?? .scalar(sharedTiles: sharedTiles) }

        /// `sharedTiles` nil picks by device: off for CPU drivers such as lavapipe, on otherwise. `vectorized`
        /// nil picks by device too: on for CPU drivers (with `vectorTile`, default `VectorTile.cpu`); off on
        /// GPUs, where the shared-tile GEMM stays the default until a GPU measurement decides.
        public init(context: VulkanContext, sharedTiles: Bool? = nil, vectorized: Bool? = nil, vectorTile: VectorTile? = nil) {
            let cpu = context.info.kind == .cpu
            let shared = sharedTiles ?? !cpu
            self.sharedTiles = shared
            self.vectorTile = (vectorized ?? cpu) ? (vectorTile ?? .cpu) : nil
            let sharedBytes = Int(context.info.maxSharedMemoryBytes)
            func tileK(_ shape: (x: Int, y: Int)) -> Int { max(4, min(16, sharedBytes / ((shape.x + shape.y) * 4 * 4))) }
            wideTileK = tileK(Self.wideShape)
            narrowTileK = tileK(Self.narrowShape)
            pipelines = SpecializedPipelines(context: context, shader: "pointwise_conv", bindings: 5, pushWords: 5)
            device = context.info
        }

        /// Whether `layer` runs in the vec4 variant (under `variant`, nil: the default).
        public func vectorized(_ layer: ConvLayer, variant: Variant? = nil) -> Bool {
            guard case .vec4 = variant ?? defaultVariant else { return false }
            return layer.inChannels % 4 == 0 && layer.outChannels % 4 == 0
        }

        /// Records `layer` over `pixels` input rows; `residual` (same shape and format as the output) is added
        /// before ReLU6. `input` is stored as `inputFormat`, `residual` and `output` as `outputFormat`; the
        /// products and sums are in `arithmetic`. `variant` nil runs the default; a vec4 variant on channels
        /// that are not multiples of 4 runs the scalar GEMM with the device's shared-tile choice.
        public func record(_ sequence: CommandSequence, layer: ConvLayer, pixels: Int, input: BufferBinding,
                           inputFormat: StorageFormat, weights: BufferBinding, bias: BufferBinding,
                           residual: BufferBinding?, output: BufferBinding, outputFormat: StorageFormat,
                           arithmetic: KernelArithmetic = .float32, variant: Variant? = nil) throws {
            try checkOutput(layer, outputFormat)
            let n = layer.outChannels
            let formats = ["IN": inputFormat, "OUT": outputFormat]
            // Pixels run along the grid's y axis: past the device's limit, one dispatch per run of pixels.
            func dispatch(_ pipeline: ComputePipeline, nGroups: Int, pixelsPerGroup: Int) throws {
                for run in try GridSplit.gemmRuns(rows: pixels, rowsPerGroup: pixelsPerGroup, layer: layer, device: device,
                                                  input: input, inputFormat: inputFormat, residual: residual,
                                                  output: output, outputFormat: outputFormat) {
                    let push = [run.rows, layer.inChannels, n, layer.relu6 ? 1 : 0, residual == nil ? 0 : 1].map { UInt32($0) }
                    try sequence.dispatch(pipeline, [run.input, weights, bias, run.residual, run.output], push: push,
                                          groups: (nGroups, ceilDiv(run.rows, pixelsPerGroup), 1))
                }
            }
            let chosen = variant ?? defaultVariant
            if case .vec4(let tile) = chosen, vectorized(layer, variant: chosen) {
                // Channel groups across x (adjacent invocations read adjacent vec4s), as many as the layer
                // fills, the rest of the work group across pixels.
                let groups = ceilDiv(n / 4, tile.groups)
                var x = 1
                while x < tile.invocations && x < groups { x *= 2 }
                let y = max(1, tile.invocations / x)
                let pipeline = try pipelines.get([x, y, 4, 0, tile.rows, tile.groups].map { UInt32($0) }, formats: formats,
                                                 arithmetic: arithmetic, defines: ["VEC4": "1"])
                try dispatch(pipeline, nGroups: ceilDiv(n / 4, x * tile.groups), pixelsPerGroup: y * tile.rows)
                return
            }
            var shared = sharedTiles
            if case .scalar(let tiles) = chosen { shared = tiles }
            let useNarrow = n <= 16
            let shape = useNarrow ? Self.narrowShape : Self.wideShape
            let specialization = [shape.x, shape.y, useNarrow ? narrowTileK : wideTileK, shared ? 1 : 0, 1, 1].map { UInt32($0) }
            let pipeline = try pipelines.get(specialization, formats: formats, arithmetic: arithmetic, defines: ["VEC4": "0"])
            try dispatch(pipeline, nGroups: ceilDiv(n, shape.x * 4), pixelsPerGroup: shape.y * 4)
        }
    }
}
