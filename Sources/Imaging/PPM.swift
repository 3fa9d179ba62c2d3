/// Binary PPM (P6, maxval 255) reading and writing, for `imgfeat preprocess` and tests.
public enum PPM {
    /// Encodes `image` as binary P6 with maxval 255.
    public static func encode(_ image: RGBImage) -> [UInt8] {
        var bytes = Array("P6\n\(image.width) \(image.height)\n255\n".utf8)
        bytes.append(contentsOf: image.pixels)
        return bytes
    }

    /// Decodes a binary P6 file with maxval 255 (comments allowed in the header); `name` labels errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
        var reader = HeaderReader(bytes: bytes, name: name)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "6") else {
            throw ImagingError.badPPM(name: name, reason: "missing the P6 magic number")
        }
        reader.position = 2
        let width = try reader.number("width")
        let height = try reader.number("height")
        let maxval = try reader.number("maxval")
        guard maxval == 255 else {
            throw ImagingError.badPPM(name: name, reason: "maxval \(maxval) is not supported (only 255)")
        }
        guard width > 0, height > 0 else {
            throw ImagingError.badPPM(name: name, reason: "empty image \(width)x\(height)")
        }
        // Exactly one whitespace byte separates the header from the pixels.
        guard reader.position < bytes.count, isWhitespace(bytes[reader.position]) else {
            throw ImagingError.badPPM(name: name, reason: "no whitespace after the header")
        }
        let start = reader.position + 1
        let (needed, overflow) = width.multipliedReportingOverflow(by: height * 3)
        guard !overflow, bytes.count - start >= needed else {
            throw ImagingError.badPPM(name: name, reason: "\(bytes.count - start) pixel bytes for \(width)x\(height)")
        }
        return RGBImage(width: width, height: height, pixels: Array(bytes[start..<(start + needed)]))
    }

    fileprivate static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// Reads the whitespace- and comment-separated decimal fields of a PNM header.
    private struct HeaderReader {
        let bytes: [UInt8]
        let name: String
        var position = 0

        mutating func number(_ field: String) throws -> Int {
            while position < bytes.count {
                if PPM.isWhitespace(bytes[position]) {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != 0x0A && bytes[position] != 0x0D { position += 1 }
                } else {
                    break
                }
            }
            var value = 0, digits = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                value = value * 10 + Int(bytes[position] - 0x30)
                digits += 1
                position += 1
                guard digits <= 9 else { throw ImagingError.badPPM(name: name, reason: "\(field) is too large") }
            }
            guard digits > 0 else { throw ImagingError.badPPM(name: name, reason: "missing or invalid \(field)") }
            return value
        }
    }
}
