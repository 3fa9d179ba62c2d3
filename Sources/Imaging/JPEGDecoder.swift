import CJPEG

/// Decodes JPEG bytes to RGB through libjpeg's API the way Pillow does, giving the pixels of
/// `Image.open(...).convert('RGB')` and refusing what Pillow refuses.
public enum JPEGDecoder {
    /// Pillow's `Image.MAX_IMAGE_PIXELS`.
    public static let defaultMaxPixels: Int = 89_478_485

    /// Decodes `bytes`; `name` (a path or URL) only labels errors. With `draft` = S it decodes as
    /// Pillow's `img.draft("RGB", (S, S))` does: DCT scaling by 1/2, 1/4 or 1/8 when the image is at
    /// least that many times S on both sides. Throws `ImagingError`.
    public static func decode(_ bytes: [UInt8], name: String, maxPixels: Int = defaultMaxPixels,
                              draft: Int? = nil) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImagingError.empty(name: name) }
        let header = try PillowJPEGHeader(bytes, name: name)
        // Checked from the frame header, before libjpeg allocates anything for the image.
        if header.width * header.height > maxPixels {
            throw ImagingError.tooManyPixels(name: name, width: header.width, height: header.height, limit: maxPixels)
        }
        let scale = draft.map { draftScale(width: header.width, height: header.height, size: $0) } ?? 1
        return try bytes.withUnsafeBufferPointer { source in
            var decoder: OpaquePointer?
            defer { cjpeg_close(decoder) }
            var info = cjpeg_info()
            try check(cjpeg_open(source.baseAddress, source.count, Int32(scale), &decoder, &info), decoder, name)
            let width = Int(info.output_width), height = Int(info.output_height)
            let channels = Int(info.output_components)
            let samples = try [UInt8](unsafeUninitializedCapacity: width * height * channels) { buffer, count in
                try check(cjpeg_decode(decoder, buffer.baseAddress, width * height * channels), decoder, name)
                count = width * height * channels  // only reached when every row was written
            }
            let pixels: [UInt8]
            switch channels {
            case 1: pixels = expandGray(samples)
            case 4: pixels = CMYKConversion.pillowRGB(fromInvertedCMYK: samples)
            default: pixels = samples
            }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    /// The DCT scale denominator Pillow's `JpegImageFile.draft(mode, (size, size))` picks.
    public static func draftScale(width: Int, height: Int, size: Int) -> Int {
        guard size > 0 else { return 1 }
        let ratio = min(width / size, height / size)
        return [8, 4, 2].first { ratio >= $0 } ?? 1
    }

    /// The one place a CJPEG status becomes an `ImagingError`.
    private static func check(_ status: cjpeg_status, _ decoder: OpaquePointer?, _ name: String) throws {
        switch status {
        case CJPEG_OK: return
        case CJPEG_TRUNCATED: throw ImagingError.truncated(name: name)
        default: throw ImagingError.decodeFailed(name: name, message: String(cString: cjpeg_message(decoder)))
        }
    }

    /// Pillow's `convert('RGB')` of an L image: each value three times.
    private static func expandGray(_ gray: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: gray.count * 3) { out, count in
            for (i, v) in gray.enumerated() {
                out[3 * i] = v
                out[3 * i + 1] = v
                out[3 * i + 2] = v
            }
            count = gray.count * 3
        }
    }

    /// A short guess at what non-JPEG bytes are, for the error message.
    static func describeSignature(_ bytes: [UInt8]) -> String {
        let head = Array(bytes.prefix(16))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "PNG data" }
        if head.starts(with: Array("GIF8".utf8)) { return "GIF data" }
        if head.starts(with: Array("BM".utf8)) { return "BMP data" }
        if head.starts(with: Array("RIFF".utf8)) { return "RIFF/WebP data" }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return "TIFF data"
        }
        if head.starts(with: [0xFF, 0xD8]) { return "JPEG start marker not followed by a marker" }
        let sample = bytes.prefix(256)
        if sample.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return "text"
        }
        let hex = head.prefix(4).map { byte -> String in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
        return "no JPEG start marker; starts with \(hex)"
    }
}
