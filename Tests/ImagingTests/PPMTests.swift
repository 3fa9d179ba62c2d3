import Imaging
import TestSupport
import Testing

@Suite struct PPMTests {
    @Test(arguments: [(1, 1), (3, 2), (13, 1), (1, 127), (37, 61)])
    func roundTripKeepsEveryByte(width: Int, height: Int) throws {
        var generator = SeededGenerator(seed: UInt64(width * 1000 + height))
        let pixels = (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let image = RGBImage(width: width, height: height, pixels: pixels)
        let encoded = PPM.encode(image)
        #expect(encoded.starts(with: Array("P6\n\(width) \(height)\n255\n".utf8)))
        let decoded = try PPM.decode(encoded, name: "roundtrip.ppm")
        #expect(decoded == image)
    }

    @Test func headerCommentsAreSkipped() throws {
        let bytes = Array("P6 # made by hand\n2 # width\n1\n255\n".utf8) + [1, 2, 3, 4, 5, 6]
        let image = try PPM.decode(bytes, name: "comments.ppm")
        #expect(image == RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6]))
    }

    @Test(arguments: [
        ("P5\n1 1\n255\n\u{0}", "P6"),
        ("P6\n2 2\n255\n\u{1}\u{2}\u{3}", "pixel bytes"),
        ("P6\n1 1\n65535\n\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}", "maxval"),
        ("P6\nx 1\n255\n\u{0}\u{0}\u{0}", "width"),
        ("", "P6"),
    ])
    func malformedFilesAreRefusedNamingTheFile(text: String, cause: String) {
        do {
            _ = try PPM.decode(Array(text.utf8), name: "bad.ppm")
            Issue.record("bad.ppm decoded although it is malformed")
        } catch {
            let message = String(describing: error)
            #expect(message.hasPrefix("bad.ppm: "), "\(message)")
            #expect(message.contains(cause), "\(message)")
        }
    }
}
