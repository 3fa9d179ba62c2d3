import Imaging
import Model
import TestSupport
import Testing

@Suite struct ModelInputTests {
    /// numpy's float32 `arange(256) / 127.5 - 1`, written by scripts/fixtures/images.py.
    private func numpyTable() throws -> [Float] {
        let set = try #require(ImageFixtures.sets.first)
        let bytes = try set.bytes("scale_table.f32")
        try #require(bytes.count == 256 * 4, "scale_table.f32 has \(bytes.count) bytes")
        return (0..<256).map { i in
            Float(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8
                | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
        }
    }

    @Test func scaleTableMatchesNumpyFloat32BitForBit() throws {
        let expected = try numpyTable()
        #expect(ModelInput.scaleTable.count == 256)
        for v in 0..<256 where ModelInput.scaleTable[v].bitPattern != expected[v].bitPattern {
            Issue.record("scaleTable[\(v)]: expected \(expected[v]), got \(ModelInput.scaleTable[v])")
            break
        }
    }

    @Test(arguments: ImageFixtures.goodCases.filter { c in c.image.resized.contains { $0.width == 224 && $0.height == 224 } })
    func preprocessIsPillowResizeThenKerasScaling(_ c: ImageFixtures.GoodCase) throws {
        let table = try numpyTable()
        let source = RGBImage(width: c.image.width, height: c.image.height, pixels: try c.set.bytes(c.image.rgb))
        let target = try #require(c.image.resized.first { $0.width == 224 && $0.height == 224 })
        let expected = try c.set.bytes(target.file).map { table[Int($0)] }
        let got = ModelInput.preprocess(source, size: 224)
        try #require(got.count == expected.count, "\(c): \(got.count) values, expected \(expected.count)")
        if let m = firstMismatch(got, expected, relativeTolerance: 0) {
            Issue.record("\(c): first mismatch at \(m.index): expected \(m.expected), got \(m.got)")
        }
    }

    @Test(arguments: [(1, 1), (3, 2), (13, 127)])
    func scaledMapsEveryByteThroughTheTable(width: Int, height: Int) throws {
        let table = try numpyTable()
        var generator = SeededGenerator(seed: UInt64(width * 31 + height))
        let pixels = (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let got = ModelInput.scaled(RGBImage(width: width, height: height, pixels: pixels))
        let expected = pixels.map { table[Int($0)] }
        #expect(got.count == expected.count)
        if let m = firstMismatch(got, expected, relativeTolerance: 0) {
            Issue.record("first mismatch at \(m.index): expected \(m.expected), got \(m.got)")
        }
    }
}
