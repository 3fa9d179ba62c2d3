import CResample

extension PillowResize {
    /// Filters rows `rows` of `image` along x into an 8-bit image of `rows.count` rows (CResample).
    static func simdHorizontalPass(_ image: RGBImage, _ rows: Range<Int>, _ c: ResampleCoefficients) -> RGBImage {
        let outBytes = rows.count * c.outSize * 3, inRowBytes = image.width * 3
        let pixels = [UInt8](unsafeUninitializedCapacity: outBytes) { out, count in
            image.pixels.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress, let target = out.baseAddress else { return }
                let first = rows.lowerBound * inRowBytes
                cr_horizontal(base + first, src.count - first, Int32(image.width), Int32(rows.count), c.starts,
                              c.counts, c.weights, Int32(c.taps), Int32(c.outSize), target)
            }
            count = outBytes
        }
        return RGBImage(width: c.outSize, height: rows.count, pixels: pixels)
    }

    /// Filters along y; `rowOffset` is the source row that `image`'s row 0 stands for (CResample).
    static func simdVerticalPass(_ image: RGBImage, _ rowOffset: Int, _ c: ResampleCoefficients) -> RGBImage {
        let rowBytes = image.width * 3, outBytes = c.outSize * rowBytes
        let pixels = [UInt8](unsafeUninitializedCapacity: outBytes) { out, count in
            image.pixels.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress, let target = out.baseAddress else { return }
                cr_vertical(base, Int32(rowBytes), Int32(rowOffset), c.starts, c.counts, c.weights, Int32(c.taps),
                            Int32(c.outSize), target)
            }
            count = outBytes
        }
        return RGBImage(width: image.width, height: c.outSize, pixels: pixels)
    }
}
