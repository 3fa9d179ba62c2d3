import Foundation
import Imaging
import TestSupport
import Testing

@Suite struct PillowResizeTests {
    @Test(arguments: ImageFixtures.resizeCases)
    func resizedPixelsEqualPillows(_ c: ImageFixtures.ResizeCase) throws {
        // Start from Pillow's own decoded pixels so only the resize is under test.
        let source = RGBImage(width: c.image.width, height: c.image.height, pixels: try c.set.bytes(c.image.rgb))
        let expected = try c.set.bytes(c.target.file)
        // Both faces: the SIMD C passes and the plain Swift ones.
        for (face, resized) in [("simd", PillowResize.resize(source, width: c.target.width, height: c.target.height)),
                                ("reference", PillowResize.reference(source, width: c.target.width, height: c.target.height))] {
            #expect(resized.width == c.target.width && resized.height == c.target.height)
            if let m = firstByteMismatch(resized.pixels, expected) {
                Issue.record("\(c) \(face): first mismatch at byte \(m.index) (pixel \(m.index / 3)): expected \(m.expected), got \(m.got)")
            }
        }
    }

    // Shapes the fixtures lack: one-pixel sides, odd widths whose rows end mid-vector, each pass alone, both
    // orders (vertical first when the height shrinks much more), strong shrinks with many taps.
    @Test(arguments: [(1, 1, 224, 224), (3, 2, 224, 224), (13, 7, 5, 3), (127, 1, 224, 224), (1, 127, 224, 224),
                      (224, 127, 224, 224), (97, 224, 224, 224), (640, 480, 224, 224), (300, 1411, 224, 224),
                      (1411, 300, 224, 224), (500, 20, 224, 224), (33, 35, 33, 9), (33, 35, 7, 35)])
    func simdMatchesReferenceOnRandomImages(width: Int, height: Int, outWidth: Int, outHeight: Int) {
        var generator = SeededGenerator(seed: UInt64(width * 10007 + height))
        let pixels = (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        let expected = PillowResize.reference(image, width: outWidth, height: outHeight)
        let got = PillowResize.resize(image, width: outWidth, height: outHeight)
        #expect(got.width == outWidth && got.height == outHeight)
        if let m = firstByteMismatch(got.pixels, expected.pixels) {
            Issue.record("\(width)×\(height) → \(outWidth)×\(outHeight): first mismatch at byte \(m.index): expected \(m.expected), got \(m.got)")
        }
    }

    @Test(arguments: [(1, 1), (3, 224), (13, 7), (127, 224), (224, 224), (640, 224), (1411, 224), (20, 224), (2, 1)])
    func coefficientsAreWellFormed(inSize: Int, outSize: Int) {
        let c = ResampleCoefficients(inSize: inSize, outSize: outSize)
        #expect(c.inSize == inSize && c.outSize == outSize)
        #expect(c.starts.count == outSize && c.counts.count == outSize && c.weights.count == outSize * c.taps)
        #expect(c.taps == Int(c.counts.max() ?? 0))
        for o in 0..<outSize {
            let start = Int(c.starts[o]), count = Int(c.counts[o])
            #expect(start >= 0 && count >= 1 && start + count <= inSize, "output \(o): \(start)+\(count) of \(inSize)")
            let row = c.weights[(o * c.taps)..<((o + 1) * c.taps)]
            // Normalised to 1.0 before rounding: each weight rounds by at most 1/2.
            let sum = row.reduce(0) { $0 + Int($1) }
            #expect(abs(sum - (1 << 22)) <= (count + 1) / 2, "output \(o): weights sum to \(sum)")
            #expect(row.dropFirst(count).allSatisfy { $0 == 0 }, "output \(o): padding not zero")
        }
    }

    @Test func sameSizeIsACopy() {
        var generator = SeededGenerator(seed: 7)
        let pixels = (0..<(13 * 127 * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let image = RGBImage(width: 13, height: 127, pixels: pixels)
        #expect(PillowResize.resize(image, width: 13, height: 127) == image)
    }
}
