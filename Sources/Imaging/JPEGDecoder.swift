import CTurboJPEG

/// Decodes JPEG bytes to RGB with libjpeg-turbo, giving the same pixels as Pillow's
/// `Image.open(...).convert('RGB')`.
public enum JPEGDecoder {
    /// Pillow's `Image.MAX_IMAGE_PIXELS`.
    public static let defaultMaxPixels: Int = 89_478_485

    /// Decodes `bytes`; `name` (a path or URL) only labels errors. Throws `ImagingError`.
    public static func decode(_ bytes: [UInt8], name: String, maxPixels: Int = defaultMaxPixels) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImagingError.empty(name: name) }
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw ImagingError.notJPEG(name: name, detected: describeSignature(bytes))
        }
        guard let handle = tjInitDecompress() else {
            throw ImagingError.decodeFailed(name: name, message: "cannot create a TurboJPEG decompressor")
        }
        defer { tjDestroy(handle) }

        var result = try decompress(bytes, handle: handle, name: name, maxPixels: maxPixels)
        // libjpeg pads a stream that ends early with grey and only warns; Pillow calls it truncated.
        if let warning = result.warning, warning.contains(prematureEnd) {
            // A sequential file that lacks only its EOI marker is complete for Pillow (it never
            // waits for EOI after the last scanline). Supplying the marker tells the two apart:
            // a file cut inside its scan data still warns. Progressive files need every scan up
            // to EOI, so Pillow refuses them either way.
            guard frameIsSequential(bytes) else { throw ImagingError.truncated(name: name) }
            result = try decompress(bytes + [0xFF, 0xD9], handle: handle, name: name, maxPixels: maxPixels)
            if result.warning != nil { throw ImagingError.truncated(name: name) }
        }
        let pixels = result.isCMYK ? CMYKConversion.pillowRGB(fromInvertedCMYK: result.pixels) : result.pixels
        return RGBImage(width: result.width, height: result.height, pixels: pixels)
    }

    private static let prematureEnd = "Premature end of JPEG file"

    private struct Decompressed {
        var width: Int, height: Int, isCMYK: Bool, pixels: [UInt8], warning: String?
    }

    /// One TurboJPEG decode with flags 0 (libjpeg defaults, as Pillow uses): RGB, or raw CMYK
    /// for CMYK/YCCK files, which TurboJPEG cannot convert to RGB.
    private static func decompress(_ bytes: [UInt8], handle: tjhandle, name: String, maxPixels: Int) throws -> Decompressed {
        try bytes.withUnsafeBufferPointer { source -> Decompressed in
            guard let base = source.baseAddress else { throw ImagingError.empty(name: name) }
            let size = UInt(source.count)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            if tjDecompressHeader3(handle, base, size, &width, &height, &subsampling, &colorspace) != 0 {
                throw failure(handle, name: name)
            }
            guard width > 0, height > 0 else {
                throw ImagingError.decodeFailed(name: name, message: "header gives an empty \(width)x\(height) image")
            }
            let w = Int(width), h = Int(height)
            // Checked before any pixel buffer exists so a forged header cannot make us allocate.
            if w * h > maxPixels {
                throw ImagingError.tooManyPixels(name: name, width: w, height: h, limit: maxPixels)
            }
            let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
            let channels = isCMYK ? 4 : 3
            let format = isCMYK ? TJPF_CMYK : TJPF_RGB
            var warning: String?
            let pixels = try [UInt8](unsafeUninitializedCapacity: w * h * channels) { buffer, count in
                let status = tjDecompress2(handle, base, size, buffer.baseAddress, width, 0, height,
                                           Int32(format.rawValue), 0)
                if status != 0 {
                    // Warnings leave a complete image behind; only a real error leaves it unusable.
                    guard tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) else {
                        throw failure(handle, name: name)
                    }
                    warning = errorText(handle)
                }
                count = w * h * channels
            }
            return Decompressed(width: w, height: h, isCMYK: isCMYK, pixels: pixels, warning: warning)
        }
    }

    /// Whether the first frame header is a sequential (not progressive) one, found by walking
    /// the marker segments; false when there is none before the first scan.
    static func frameIsSequential(_ bytes: [UInt8]) -> Bool {
        var i = 2
        while i + 1 < bytes.count {
            guard bytes[i] == 0xFF else { return false }
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { i += 2; continue }  // no length
            switch marker {
            case 0xC2, 0xC6, 0xCA, 0xCE: return false  // progressive SOFs
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC: return true
            case 0xDA, 0xD9: return false  // a scan or the end before any frame header
            default:
                guard i + 3 < bytes.count else { return false }
                i += 2 + (Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]))
            }
        }
        return false
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: text)
    }

    private static func failure(_ handle: tjhandle, name: String) -> ImagingError {
        let message = errorText(handle)
        if message.contains(prematureEnd) { return .truncated(name: name) }
        return .decodeFailed(name: name, message: message)
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
