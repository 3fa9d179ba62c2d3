import Imaging
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Device preprocessing must equal PillowResize + ModelInput bit for bit.
@Suite struct PreprocessTests {
    static func randomImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var generator = SeededGenerator(seed: seed)
        // Smooth gradients plus noise: flat noise alone hides filter-order mistakes less well.
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    let ramp = (x * 255 / max(width, 1) + y * 97 / max(height, 1) + c * 50) % 256
                    let noise = Int.random(in: -40...40, using: &generator)
                    pixels[(y * width + x) * 3 + c] = UInt8(clamping: ramp + noise)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    // Up- and downscaling, each pass alone, the same size, vertical-first (height shrinks much more).
    static let sizes = [(3, 2), (13, 127), (224, 224), (224, 100), (100, 224), (640, 480), (500, 20),
                        (120, 700), (1, 1), (37, 61), (300, 230)]

    @Test(arguments: [224, 13], VulkanPrecision.allCases)
    func matchesPillowResizeAndScaling(size: Int, precision: VulkanPrecision) throws {
        let images = Self.sizes.enumerated().map { Self.randomImage(width: $1.0, height: $1.1, seed: UInt64($0)) }
        let packed = ModelInput.PackedImages(images, size: size)
        let h = try KernelHarness(precision: precision)
        let pixels = try Buffer(context: h.context, size: packed.pixelWords.count * 4, location: .upload)
        try pixels.write(packed.pixelWords)
        let table = try Buffer(context: h.context, size: packed.table.count * 4, location: .upload)
        try table.write(packed.table)
        let coefficients = try Buffer(context: h.context, size: packed.coefficients.count * 4, location: .upload)
        try coefficients.write(packed.coefficients)
        let intermediate = try Buffer(context: h.context, size: packed.intermediateWords * 4, location: .device)
        let count = images.count * size * size * 3
        let output = try h.poisonedOutput(count)
        try ModelInput.Vulkan(context: h.context, precision: precision).record(
            h.sequence, packed: packed, pixels: BufferBinding(pixels), table: BufferBinding(table),
            coefficients: BufferBinding(coefficients), intermediate: BufferBinding(intermediate),
            scaleTable: h.float32(ModelInput.scaleTable), output: BufferBinding(output))
        let (got, guardIntact) = try h.finish(output, count: count)
        #expect(guardIntact, "wrote past the output")
        let perImage = size * size * 3
        for (i, image) in images.enumerated() {
            let expected = stored(ModelInput.preprocess(image, size: size), precision)
            let slice = Array(got[i * perImage..<(i + 1) * perImage])
            if let bad = firstMismatch(slice, expected, relativeTolerance: 0) {
                Issue.record("\(image.width)x\(image.height) -> \(size): element \(bad.index) expected \(bad.expected), got \(bad.got)")
            }
        }
        #expect(try validationMessages() == [])
    }
}
