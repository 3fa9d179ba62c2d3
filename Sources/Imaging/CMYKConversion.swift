/// Pillow's CMYK → RGB conversion (src/libImaging/Convert.c `cmyk2rgb`), for CMYK/YCCK JPEGs.
enum CMYKConversion {
    /// Converts libjpeg's raw CMYK samples, which Pillow reads as Adobe-inverted ("CMYK;I"),
    /// to RGB the way Pillow's `convert('RGB')` does.
    static func pillowRGB(fromInvertedCMYK raw: [UInt8]) -> [UInt8] {
        let pixelCount = raw.count / 4
        return [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { out, count in
            raw.withUnsafeBufferPointer { src in
                for i in 0..<pixelCount {
                    let c = 255 - Int(src[4 * i]), m = 255 - Int(src[4 * i + 1])
                    let y = 255 - Int(src[4 * i + 2]), k = 255 - Int(src[4 * i + 3])
                    let nk = 255 - k
                    out[3 * i] = UInt8(clamping: nk - muldiv255(c, nk))
                    out[3 * i + 1] = UInt8(clamping: nk - muldiv255(m, nk))
                    out[3 * i + 2] = UInt8(clamping: nk - muldiv255(y, nk))
                }
            }
            count = pixelCount * 3
        }
    }

    /// a·b/255 rounded, in Pillow's integer form.
    @inline(__always)
    static func muldiv255(_ a: Int, _ b: Int) -> Int {
        let t = a * b + 128
        return (t + (t >> 8)) >> 8
    }
}
