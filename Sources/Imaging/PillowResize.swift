/// Bit-exact re-implementation of Pillow's `Image.resize((w, h))` for RGB images (BICUBIC, 8-bit): SIMD C
/// passes (`resize`) and plain Swift ones (`reference`).
public enum PillowResize {
    /// Resizes `image` to `width × height` (both at least 1) exactly as Pillow 13 does, with the SIMD passes
    /// of CResample.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        resize(image, width: width, height: height, horizontal: simdHorizontalPass, vertical: simdVerticalPass)
    }

    /// The same resize with plain Swift passes: the reference face the SIMD one is tested against (both are
    /// held to Pillow's own output on the fixtures).
    public static func reference(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        resize(image, width: width, height: height, horizontal: horizontalPass, vertical: verticalPass)
    }

    private static func resize(_ image: RGBImage, width: Int, height: Int,
                               horizontal: (RGBImage, Range<Int>, ResampleCoefficients) -> RGBImage,
                               vertical: (RGBImage, Int, ResampleCoefficients) -> RGBImage) -> RGBImage {
        precondition(width > 0 && height > 0, "PillowResize: target \(width)x\(height)")
        if image.width == width && image.height == height { return image }
        precondition(image.width > 0 && image.height > 0, "PillowResize: empty source image")

        let verticalCoefficients = ResampleCoefficients(inSize: image.height, outSize: height)
        if image.width == width { return vertical(image, 0, verticalCoefficients) }
        let horizontalCoefficients = ResampleCoefficients(inSize: image.width, outSize: width)
        if image.height == height { return horizontal(image, 0..<image.height, horizontalCoefficients) }
        if verticalFirst(inWidth: image.width, inHeight: image.height, outWidth: width, outHeight: height) {
            let shortened = vertical(image, 0, verticalCoefficients)
            return horizontal(shortened, 0..<shortened.height, horizontalCoefficients)
        }
        // Like Pillow, filter only the rows the vertical pass will read.
        let rows = verticalCoefficients.inputRange
        return vertical(horizontal(image, rows, horizontalCoefficients), rows.lowerBound, verticalCoefficients)
    }

    /// Whether Pillow 13 runs the vertical pass before the horizontal one when both are needed:
    /// when the height shrinks by more than twice as many pixels as the width does (Pillow PR
    /// #9549). The 8-bit intermediate makes the order visible in the result, so every
    /// implementation of this resize (CPU or shader) must follow it.
    public static func verticalFirst(inWidth: Int, inHeight: Int, outWidth: Int, outHeight: Int) -> Bool {
        outHeight < inHeight && inHeight - outHeight > 2 * (inWidth - outWidth)
    }

    @inline(__always)
    private static func clip8(_ accumulator: Int32) -> UInt8 {
        let v = accumulator >> Int32(ResampleCoefficients.precisionBits)
        return UInt8(truncatingIfNeeded: min(max(v, 0), 255))
    }

    /// Filters rows `rows` of `image` along x into an 8-bit image of `rows.count` rows.
    static func horizontalPass(_ image: RGBImage, _ rows: Range<Int>, _ c: ResampleCoefficients) -> RGBImage {
        let outWidth = c.outSize, taps = c.taps
        let inRowBytes = image.width * 3, outRowBytes = outWidth * 3
        let half = Int32(1) << Int32(ResampleCoefficients.precisionBits - 1)
        let pixels = [UInt8](unsafeUninitializedCapacity: rows.count * outRowBytes) { out, count in
            image.pixels.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress else { return }
                let raw = UnsafeRawPointer(base)
                c.weights.withUnsafeBufferPointer { weights in
                    c.starts.withUnsafeBufferPointer { starts in
                        c.counts.withUnsafeBufferPointer { counts in
                            for (row, y) in rows.enumerated() {
                                let inRow = y * inRowBytes, outRow = row * outRowBytes
                                for x in 0..<outWidth {
                                    // R, G, B and the next pixel's R (ignored) accumulate in one vector;
                                    // the scalar path covers the last bytes of the buffer.
                                    var acc = SIMD4<Int32>(repeating: half)
                                    let first = inRow + Int(starts[x]) * 3, n = Int(counts[x]), w0 = x * taps
                                    if first + 3 * n + 1 <= src.count {
                                        for k in 0..<n {
                                            let bytes = raw.loadUnaligned(fromByteOffset: first + 3 * k, as: SIMD4<UInt8>.self)
                                            acc &+= SIMD4<Int32>(truncatingIfNeeded: bytes) &* SIMD4<Int32>(repeating: weights[w0 + k])
                                        }
                                    } else {
                                        for k in 0..<n {
                                            let p = first + 3 * k
                                            let pixel = SIMD4<Int32>(Int32(src[p]), Int32(src[p + 1]), Int32(src[p + 2]), 0)
                                            acc &+= pixel &* SIMD4<Int32>(repeating: weights[w0 + k])
                                        }
                                    }
                                    out[outRow + 3 * x] = clip8(acc[0])
                                    out[outRow + 3 * x + 1] = clip8(acc[1])
                                    out[outRow + 3 * x + 2] = clip8(acc[2])
                                }
                            }
                        }
                    }
                }
            }
            count = rows.count * outRowBytes
        }
        return RGBImage(width: outWidth, height: rows.count, pixels: pixels)
    }

    /// Filters along y; `rowOffset` is the source row that `image`'s row 0 stands for.
    static func verticalPass(_ image: RGBImage, _ rowOffset: Int, _ c: ResampleCoefficients) -> RGBImage {
        let rowBytes = image.width * 3, taps = c.taps
        let half = Int32(1) << Int32(ResampleCoefficients.precisionBits - 1)
        let vectorEnd = rowBytes - rowBytes % 8
        let pixels = [UInt8](unsafeUninitializedCapacity: c.outSize * rowBytes) { out, count in
            image.pixels.withUnsafeBufferPointer { src in
                c.weights.withUnsafeBufferPointer { weights in
                    guard let base = src.baseAddress else { return }
                    let raw = UnsafeRawPointer(base)
                    for y in 0..<c.outSize {
                        let first = Int(c.starts[y]) - rowOffset, taps0 = y * taps
                        let n = Int(c.counts[y]), outRow = y * rowBytes
                        // Eight bytes at a time, all taps summed in registers before one store.
                        var i = 0
                        while i < vectorEnd {
                            var acc = SIMD8<Int32>(repeating: half)
                            for k in 0..<n {
                                let bytes = raw.loadUnaligned(fromByteOffset: (first + k) * rowBytes + i, as: SIMD8<UInt8>.self)
                                acc &+= SIMD8<Int32>(truncatingIfNeeded: bytes) &* SIMD8<Int32>(repeating: weights[taps0 + k])
                            }
                            let shifted = acc &>> Int32(ResampleCoefficients.precisionBits)
                            let clamped = shifted.clamped(lowerBound: SIMD8(repeating: 0), upperBound: SIMD8(repeating: 255))
                            for lane in 0..<8 { out[outRow + i + lane] = UInt8(truncatingIfNeeded: clamped[lane]) }
                            i += 8
                        }
                        while i < rowBytes {
                            var acc = half
                            for k in 0..<n { acc &+= Int32(src[(first + k) * rowBytes + i]) &* weights[taps0 + k] }
                            out[outRow + i] = clip8(acc)
                            i += 1
                        }
                    }
                }
            }
            count = c.outSize * rowBytes
        }
        return RGBImage(width: image.width, height: c.outSize, pixels: pixels)
    }
}
