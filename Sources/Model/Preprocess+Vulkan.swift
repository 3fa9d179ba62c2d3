import Imaging
import VulkanRuntime

extension ModelInput {
    /// A batch of uint8 RGB images of mixed sizes packed for `preprocess.comp`, with the Pillow
    /// resampling coefficients computed on the host.
    public struct PackedImages: Sendable {
        /// Output side S.
        public let size: Int
        public let count: Int
        /// All images' RGB bytes, 4 per little-endian word.
        public let pixelWords: [UInt32]
        /// 12 words per image (see the shader's header).
        public let table: [UInt32]
        public let coefficients: [Int32]
        /// Words of 8-bit intermediate the horizontal pass needs.
        public let intermediateWords: Int
        /// Largest number of rows and of columns of any image's intermediate (first-pass grid).
        public let maxRows: Int
        public let maxWidth: Int

        /// Packs `images` for resizing to `size × size`.
        public init(_ images: [RGBImage], size: Int) {
            self.size = size
            count = images.count
            var bytes: [UInt8] = []
            bytes.reserveCapacity(images.reduce(0) { $0 + $1.pixels.count } + 4)
            var table: [UInt32] = []
            var coefficients: [Int32] = []
            var intermediate = 0, maxRows = 1, maxWidth = 1
            func append(_ c: ResampleCoefficients) -> (offset: Int, taps: Int) {
                let offset = coefficients.count
                coefficients += c.starts
                coefficients += c.counts
                coefficients += c.weights
                return (offset, c.taps)
            }
            for image in images {
                let hPass = image.width != size, vPass = image.height != size
                let verticalFirst = hPass && vPass && PillowResize.verticalFirst(
                    inWidth: image.width, inHeight: image.height, outWidth: size, outHeight: size)
                var h = (offset: 0, taps: 0), v = (offset: 0, taps: 0)
                var rowOffset = 0, rowCount = image.height
                if vPass {
                    let vertical = ResampleCoefficients(inSize: image.height, outSize: size)
                    v = append(vertical)
                    if hPass && !verticalFirst {
                        // Pillow filters horizontally only the rows the vertical pass reads.
                        rowOffset = Int(vertical.starts[0])
                        rowCount = Int(vertical.starts[size - 1] + vertical.counts[size - 1]) - rowOffset
                    }
                }
                if hPass { h = append(ResampleCoefficients(inSize: image.width, outSize: size)) }
                let flags = (hPass ? 1 : 0) | (vPass ? 2 : 0) | (verticalFirst ? 4 : 0)
                table += [bytes.count, image.width, image.height, h.offset, h.taps, v.offset, v.taps,
                          rowOffset, rowCount, intermediate, flags, 0].map { UInt32($0) }
                if hPass && vPass {
                    let (width, rows) = verticalFirst ? (image.width, size) : (size, rowCount)
                    intermediate += rows * width * 3
                    maxRows = max(maxRows, rows)
                    maxWidth = max(maxWidth, width)
                }
                bytes += image.pixels
            }
            while bytes.count % 4 != 0 || bytes.isEmpty { bytes.append(0) }
            pixelWords = bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
            self.table = table
            self.coefficients = coefficients.isEmpty ? [0] : coefficients
            intermediateWords = max(intermediate, 1)
            self.maxRows = maxRows
            self.maxWidth = maxWidth
        }
    }

    /// Launcher of `preprocess.comp`: Pillow-exact resize and Keras scaling on the device.
    public final class Vulkan: @unchecked Sendable {
        let horizontal: ComputePipeline
        let vertical: ComputePipeline

        public init(context: VulkanContext, precision: VulkanPrecision = .fp32) throws {
            horizontal = try makePipeline(context, "preprocess", precision: precision, bindings: 6, pushWords: 2,
                                          specialization: [0, 64, 1])
            vertical = try makePipeline(context, "preprocess", precision: precision, bindings: 6, pushWords: 2,
                                        specialization: [1, 8, 8])
        }

        /// Records both passes (with a barrier between) for `packed`, whose arrays sit in the given buffers;
        /// `scaleTable` holds `ModelInput.scaleTable`; `output` receives N × S × S × 3 values.
        public func record(_ sequence: CommandSequence, packed: PackedImages, pixels: BufferBinding,
                           table: BufferBinding, coefficients: BufferBinding, intermediate: BufferBinding,
                           scaleTable: BufferBinding, output: BufferBinding) throws {
            let bindings = [pixels, table, coefficients, intermediate, scaleTable, output]
            let push = [UInt32(packed.size), UInt32(packed.count)]
            try sequence.dispatch(horizontal, bindings, push: push,
                                  groups: (ceilDiv(packed.maxWidth, 64), packed.maxRows, packed.count))
            sequence.barrier()
            try sequence.dispatch(vertical, bindings, push: push,
                                  groups: (ceilDiv(packed.size, 8), ceilDiv(packed.size, 8), packed.count))
        }
    }
}
