import Imaging
import Testing

/// Every corpus file decodes to Pillow's pixels or is refused where Pillow refuses it; every cut
/// of the swept files likewise; draft mode gives Pillow's draft pixels.
@Suite struct JPEGCorpusTests {
    /// What the decoder made of some bytes: pixels, or a refusal (its text).
    enum Outcome: Equatable {
        case pixels(width: Int, height: Int, [UInt8])
        case refused(String)
    }

    static func outcome(_ bytes: [UInt8], name: String, draft: Int? = nil) -> Outcome {
        do {
            let image = try JPEGDecoder.decode(bytes, name: name, draft: draft)
            return .pixels(width: image.width, height: image.height, image.pixels)
        } catch {
            let text = String(describing: error)
            #expect(error is ImagingError && text.hasPrefix(name + ": ") && !text.contains("\n"), "\(name): \(text)")
            return .refused(text)
        }
    }

    /// Compares one decode with Pillow's verdict; nil when they agree, else what differs.
    static func disagreement(_ got: Outcome, pillowPixels: (width: Int, height: Int, rgb: String)?,
                             pillowError: String?) throws -> String? {
        switch (got, pillowPixels) {
        case (.refused(let why), .some(let p)):
            return "refused (\(why)) but Pillow decodes it to \(p.width)x\(p.height)"
        case (.pixels(let w, let h, _), .none):
            return "decoded to \(w)x\(h) but Pillow refuses it (\(pillowError ?? "?"))"
        case (.pixels(let w, let h, let pixels), .some(let p)):
            if (w, h) != (p.width, p.height) { return "size \(w)x\(h), Pillow \(p.width)x\(p.height)" }
            if let m = firstByteMismatch(pixels, try JPEGCorpus.bytes(p.rgb)) {
                return "first mismatch at byte \(m.index) (pixel \(m.index / 3)): expected \(m.expected), got \(m.got)"
            }
            return nil
        case (.refused, .none):
            return nil
        }
    }

    @Test func everyCorpusFileMatchesPillow() throws {
        let manifest = try JPEGCorpus.manifest()
        #expect(manifest.files.count > 2000)
        var failures: [String] = [], libraryDifferences: [String] = []
        for file in manifest.files {
            let got = Self.outcome(try JPEGCorpus.bytes(file.file), name: file.file)
            let pillow = file.rgb.map { (file.width ?? 0, file.height ?? 0, $0) }
            guard let why = try Self.disagreement(got, pillowPixels: pillow, pillowError: file.pillow_error) else { continue }
            // The one allowed difference: pixels that Debian's libjpeg-turbo 2.1.5 itself (djpeg)
            // produces where Pillow's bundled 3.x differs (docs/IMAGING.md).
            if let system = file.system_libjpeg_rgb,
               try Self.disagreement(got, pillowPixels: (file.width ?? 0, file.height ?? 0, system), pillowError: nil) == nil {
                libraryDifferences.append(file.file)
                continue
            }
            failures.append("\(file.file) [\(file.group)]: \(why)")
        }
        if !libraryDifferences.isEmpty {
            print("JPEGCorpusTests: \(libraryDifferences.count) files decode as the system libjpeg's djpeg does, not as Pillow's bundled libjpeg: \(libraryDifferences)")
        }
        #expect(libraryDifferences.count * 100 <= manifest.files.count, "more than 1 % of the corpus differs by library version")
        let files = manifest.files.count, examples = failures.prefix(15).joined(separator: "\n")
        #expect(failures.isEmpty, "\(failures.count) of \(files) files disagree with Pillow, e.g.\n\(examples)")
    }

    /// Every cut of every swept file, decoded twice: the verdict and pixels must be Pillow's both
    /// times (a buffer left partly unwritten would show up as a mismatch or a difference between runs).
    @Test func cutPointSweepsMatchPillow() throws {
        let manifest = try JPEGCorpus.manifest()
        #expect(manifest.sweeps.count >= 7)
        var failures: [String] = [], cuts = 0
        for sweep in manifest.sweeps {
            let data = try JPEGCorpus.bytes(sweep.file)
            #expect(data.count == sweep.length)
            let accepted = Dictionary(uniqueKeysWithValues: sweep.accepted.map { ($0.cut, $0) })
            #expect(accepted[sweep.length] != nil, "\(sweep.file): Pillow must decode the whole file")
            for cut in sweep.cuts ?? Array(0...sweep.length) {
                let name = "\(sweep.file)@\(cut)"
                let first = Self.outcome(Array(data.prefix(cut)), name: name)
                let second = Self.outcome(Array(data.prefix(cut)), name: name)
                cuts += 1
                if first != second { failures.append("\(name): two decodes of the same bytes differ") }
                let pillow = accepted[cut].map { ($0.width, $0.height, $0.rgb) }
                if let why = try Self.disagreement(first, pillowPixels: pillow, pillowError: "cut at \(cut)") {
                    failures.append("\(name): \(why)")
                }
            }
        }
        #expect(cuts > 5000)
        let examples = failures.prefix(15).joined(separator: "\n")
        #expect(failures.isEmpty, "\(failures.count) of \(cuts) cuts disagree with Pillow, e.g.\n\(examples)")
    }

    /// `decode(draft: S)` is Pillow's `draft("RGB", (S, S))` + `convert("RGB")`, and the existing
    /// resize of it is Pillow's `.resize((S, S))`.
    @Test func draftModeMatchesPillowsDraft() throws {
        let manifest = try JPEGCorpus.manifest()
        #expect(manifest.drafts.count >= 20)
        let fullWidth = Dictionary(manifest.files.map { ($0.file, $0.width ?? 0) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(manifest.drafts.filter { $0.width < fullWidth[$0.file] ?? 0 }.map(\.size)).count >= 3,
                "the drafts must exercise DCT scaling at several sizes")
        for draft in manifest.drafts {
            let name = "\(draft.file) draft \(draft.size)"
            let got = Self.outcome(try JPEGCorpus.bytes(draft.file), name: draft.file, draft: draft.size)
            if let why = try Self.disagreement(got, pillowPixels: (draft.width, draft.height, draft.rgb), pillowError: nil) {
                Issue.record("\(name): \(why)")
                continue
            }
            guard case .pixels(let w, let h, let pixels) = got else { continue }
            let resized = PillowResize.resize(RGBImage(width: w, height: h, pixels: pixels),
                                              width: draft.size, height: draft.size)
            if let m = firstByteMismatch(resized.pixels, try JPEGCorpus.bytes(draft.resized)) {
                Issue.record("\(name) resized: first mismatch at byte \(m.index): expected \(m.expected), got \(m.got)")
            }
        }
    }

    @Test func draftScaleIsPillows() {
        // JpegImageFile.draft: scale = min(w // S, h // S), then the largest of 8, 4, 2, 1 not above it.
        #expect(JPEGDecoder.draftScale(width: 640, height: 480, size: 224) == 2)
        #expect(JPEGDecoder.draftScale(width: 4000, height: 3000, size: 224) == 8)
        #expect(JPEGDecoder.draftScale(width: 1000, height: 750, size: 224) == 2)
        #expect(JPEGDecoder.draftScale(width: 1000, height: 900, size: 224) == 4)
        #expect(JPEGDecoder.draftScale(width: 447, height: 4000, size: 224) == 1)
        #expect(JPEGDecoder.draftScale(width: 100, height: 100, size: 224) == 1)
    }
}
