import Imaging
import TestSupport
import Testing

@Suite struct JPEGFuzzTests {
    /// Randomly mutated JPEGs must either decode to a consistent image or throw ImagingError;
    /// a crash here kills the test process.
    enum Outcome: Equatable { case pixels(Int, Int, [UInt8]), refused(String) }

    private func outcome(_ bytes: [UInt8]) -> Outcome {
        do {
            // A small limit keeps a mutated header from making the fuzz slow.
            let image = try JPEGDecoder.decode(bytes, name: "fuzz.jpg", maxPixels: 1 << 20)
            return .pixels(image.width, image.height, image.pixels)
        } catch {
            return .refused(String(describing: error))
        }
    }

    @Test(arguments: ["baseline_37x61.jpg", "progressive_37x61.jpg", "restart_37x61.jpg",
                      "cmyk_37x61.jpg", "gray_37x61.jpg", "sub420_13x127.jpg"])
    func mutatedBytesNeverCrash(file: String) throws {
        let set = try ImageFixtures.load(label: "committed", directory: ImageFixtures.committedDirectory)
        let original = try set.bytes(file)
        var generator = SeededGenerator(seed: UInt64(original.count))
        var decoded = 0, refused = 0
        for round in 0..<150 {
            var bytes = original
            switch round % 4 {
            case 0:  // flip a few bytes anywhere, header included
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            case 1:  // cut the file short
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            case 2:  // insert junk
                let at = Int.random(in: 0...bytes.count, using: &generator)
                bytes.insert(contentsOf: (0..<Int.random(in: 1...64, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator) }, at: at)
            default:  // delete a run of bytes
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...200, using: &generator)))
            }
            // Decoded twice: a decoder that hands back memory it never wrote gives two answers.
            let first = outcome(bytes), second = outcome(bytes)
            #expect(first == second, "\(file) round \(round): two decodes of the same bytes differ")
            if case .refused(let text) = first {
                #expect(text.hasPrefix("fuzz.jpg: ") && !text.contains("\n"), "\(text)")
                refused += 1
            } else {
                decoded += 1
            }
        }
        // Whether Pillow would accept each mutation is checked by JPEGCorpusTests (its mutations
        // carry Pillow's verdict); here both outcomes must at least occur.
        #expect(refused > 0, "no mutation of \(file) was refused")
        #expect(decoded > 0, "every mutation of \(file) was refused")
    }
}
