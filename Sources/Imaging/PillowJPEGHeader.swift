/// The checks Pillow's `JpegImageFile._open` (src/PIL/JpegImagePlugin.py) makes in Python before
/// libjpeg sees a byte: it walks the markers up to the first SOS and refuses what it cannot parse.
/// libjpeg accepts some of these streams (a TEM marker, a 12-bit frame in libjpeg-turbo 3), so
/// matching Pillow means refusing them here.
struct PillowJPEGHeader {
    var width: Int
    var height: Int

    /// Walks `bytes` as Pillow does; throws the error Pillow's refusal corresponds to.
    init(_ bytes: [UInt8], name: String) throws {
        // `_accept`: Pillow only tries its JPEG plugin on FF D8 FF.
        guard bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF else {
            throw ImagingError.notJPEG(name: name, detected: JPEGDecoder.describeSignature(bytes))
        }
        var reader = Reader(bytes: bytes, position: 3)
        var current: UInt8? = 0xFF
        var size: (width: Int, height: Int)?
        func refuse(_ why: String) -> ImagingError { .decodeFailed(name: name, message: why) }

        while let byte = current {
            guard byte == 0xFF else { current = reader.byte(); continue }  // junk between markers
            guard let second = reader.byte() else { break }
            let marker = 0xFF00 | Int(second)
            switch marker {
            case 0xFFC0...0xFFFE:
                switch marker {
                case 0xFFC0...0xFFC3, 0xFFC5...0xFFC7, 0xFFC9...0xFFCB, 0xFFCD...0xFFCF, 0xFFDE:
                    let s = Array(try reader.segment(name: name).prefix(6))
                    guard s.count >= 6 else { throw refuse("frame header of \(s.count) bytes") }
                    guard s[0] == 8 else { throw refuse("cannot handle \(s[0])-bit layers") }
                    guard [1, 3, 4].contains(s[5]) else { throw refuse("cannot handle \(s[5])-layer images") }
                    size = (Int(s[3]) << 8 | Int(s[4]), Int(s[1]) << 8 | Int(s[2]))
                case 0xFFDB:
                    var s = try reader.segment(name: name)
                    while let first = s.first {
                        let length = 1 + (first >> 4 == 0 ? 1 : 2) * 64
                        guard s.count >= length else { throw refuse("bad quantization table marker") }
                        s = s.dropFirst(length)
                    }
                case 0xFFE0...0xFFEF:
                    let s = try reader.segment(name: name)
                    // The JFIF and Adobe parsers read a 16-bit field at offset 5 unguarded.
                    if s.count < 7, marker == 0xFFE0 && s.starts(with: Array("JFIF".utf8))
                        || marker == 0xFFEE && s.starts(with: Array("Adobe".utf8)) {
                        throw refuse("APP\(marker & 15) segment of \(s.count) bytes")
                    }
                    if marker == 0xFFED, s.starts(with: Array("Photoshop 3.0\0".utf8)) {
                        try Self.checkPhotoshopResources(Array(s), refuse)
                    }
                case 0xFFC4, 0xFFCC, 0xFFDA, 0xFFDC, 0xFFDD, 0xFFDF, 0xFFFE:
                    _ = try reader.segment(name: name)
                default:
                    break  // JPG, RSTn, SOI, EOI, JPGn: no handler, no length
                }
                if marker == 0xFFDA {
                    guard let size, size.width > 0, size.height > 0 else {
                        throw refuse("cannot identify image file (no usable frame header before the scan)")
                    }
                    width = size.width
                    height = size.height
                    return
                }
                current = reader.byte()
            case 0xFFFF:
                current = 0xFF  // fill byte: the second FF starts the marker
            case 0xFF00:
                current = reader.byte()
            default:
                throw refuse("no marker found (0x\(String(marker, radix: 16, uppercase: true)))")
            }
        }
        throw ImagingError.truncated(name: name)
    }

    /// The Photoshop resource walk of Pillow's APP handler: short fields end it quietly
    /// (struct.error is caught), except a resource name length past the end (an IndexError).
    private static func checkPhotoshopResources(_ s: [UInt8], _ refuse: (String) -> ImagingError) throws {
        func be(_ at: Int, _ count: Int) -> Int? {
            guard at >= 0, at + count <= s.count else { return nil }
            return s[at..<at + count].reduce(0) { $0 << 8 | Int($1) }
        }
        var offset = 14
        while offset + 4 <= s.count, s[offset..<offset + 4].elementsEqual("8BIM".utf8) {
            offset += 4
            guard let code = be(offset, 2) else { return }
            offset += 2
            guard offset < s.count else { throw refuse("Photoshop resource cut before its name") }
            offset += 1 + Int(s[offset])
            offset += offset & 1
            guard let size = be(offset, 4) else { return }
            offset += 4
            // ResolutionInfo reads 14 bytes of its data.
            if code == 0x03ED && min(size, max(0, s.count - offset)) < 14 { return }
            offset += size
            offset += offset & 1
        }
    }

    private struct Reader {
        var bytes: [UInt8]
        var position: Int

        mutating func byte() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        /// A marker segment's payload (a view, not a copy): Pillow reads the 16-bit length, then
        /// length − 2 bytes.
        mutating func segment(name: String) throws -> ArraySlice<UInt8> {
            guard position + 2 <= bytes.count else { throw ImagingError.truncated(name: name) }
            let count = (Int(bytes[position]) << 8 | Int(bytes[position + 1])) - 2
            position += 2
            guard count > 0 else { return [] }
            guard position + count <= bytes.count else { throw ImagingError.truncated(name: name) }
            defer { position += count }
            return bytes[position..<position + count]
        }
    }
}
