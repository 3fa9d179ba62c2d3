import Imaging
import TestSupport
import Testing

@Suite struct JPEGDecoderTests {
    @Test func committedFixturesArePresent() throws {
        let committed = try ImageFixtures.load(label: "committed", directory: ImageFixtures.committedDirectory)
        #expect(committed.manifest.images.count >= 10)
        #expect(committed.manifest.bad.count >= 5)
        #expect(ImageFixtures.sets.contains { $0.label == "committed" })
    }

    @Test(arguments: ImageFixtures.goodCases)
    func decodedPixelsEqualPillows(_ c: ImageFixtures.GoodCase) throws {
        let expected = try c.set.bytes(c.image.rgb)
        let image = try JPEGDecoder.decode(try c.set.bytes(c.image.file), name: c.image.file)
        #expect(image.width == c.image.width && image.height == c.image.height,
                "\(c): \(image.width)x\(image.height), Pillow \(c.image.width)x\(c.image.height)")
        if let m = firstByteMismatch(image.pixels, expected) {
            Issue.record("\(c) (\(c.image.mode)): first mismatch at byte \(m.index) (pixel \(m.index / 3)): expected \(m.expected), got \(m.got)")
        }
    }

    @Test(arguments: ImageFixtures.badCases)
    func badFilesGiveAClearErrorNamingTheFile(_ c: ImageFixtures.BadCase) throws {
        let bytes = try c.set.bytes(c.file.file)
        let name = "some/folder/\(c.file.name)"
        do {
            let image = try JPEGDecoder.decode(bytes, name: name)
            Issue.record("\(c): decoded to \(image.width)x\(image.height) instead of failing (\(c.file.error_kind))")
        } catch let error as ImagingError {
            let message = String(describing: error)
            #expect(message.hasPrefix(name + ": "), "\(c): \(message)")
            #expect(!message.contains("\n"), "\(c): \(message)")
            #expect(kind(of: error) == c.file.error_kind, "\(c): \(message)")
        }
    }

    @Test func pixelLimitIsInclusiveAndCheckedBeforeDecoding() throws {
        let set = try ImageFixtures.load(label: "committed", directory: ImageFixtures.committedDirectory)
        let bytes = try set.bytes("baseline_100x100.jpg")
        #expect(try JPEGDecoder.decode(bytes, name: "a.jpg", maxPixels: 10_000).width == 100)
        #expect(throws: ImagingError.tooManyPixels(name: "a.jpg", width: 100, height: 100, limit: 9_999)) {
            try JPEGDecoder.decode(bytes, name: "a.jpg", maxPixels: 9_999)
        }
        // 30000x30000 announced over 37x61 worth of data: any attempt to decode would end in a
        // truncation error (after allocating 2.7 GB), so this error proves the check came first.
        let huge = try set.bytes("huge_header.jpg")
        #expect(throws: ImagingError.tooManyPixels(name: "huge.jpg", width: 30_000, height: 30_000,
                                                   limit: JPEGDecoder.defaultMaxPixels)) {
            try JPEGDecoder.decode(huge, name: "huge.jpg")
        }
        #expect(JPEGDecoder.defaultMaxPixels == 89_478_485)
    }

    private func kind(of error: ImagingError) -> String {
        switch error {
        case .empty: "empty"
        case .notJPEG: "notJPEG"
        case .truncated: "truncated"
        case .tooManyPixels: "tooManyPixels"
        case .decodeFailed: "decodeFailed"
        case .badPPM: "badPPM"
        }
    }
}
