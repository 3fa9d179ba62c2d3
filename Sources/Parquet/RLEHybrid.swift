// The RLE / bit-packed hybrid encoding (parquet-format Encodings.md) used for repetition and
// definition levels and for dictionary indices.

enum RLEHybrid {
    /// Bits needed to store values up to `maxValue`.
    static func bitWidth(_ maxValue: Int) -> Int {
        maxValue <= 0 ? 0 : Int.bitWidth - maxValue.leadingZeroBitCount
    }

    /// Encodes `values` (each < 2^bitWidth): RLE runs for 8 or more repeats, bit-packed groups otherwise.
    static func encode(_ values: [UInt32], bitWidth: Int, into out: inout [UInt8]) {
        let n = values.count
        let valueBytes = (bitWidth + 7) / 8
        var i = 0
        func runLength(at p: Int) -> Int {
            var j = p + 1
            while j < n && values[j] == values[p] { j += 1 }
            return j - p
        }
        while i < n {
            let run = runLength(at: i)
            if run >= 8 {
                varint(UInt64(run) << 1, into: &out)
                var v = values[i]
                for _ in 0..<valueBytes { out.append(UInt8(v & 0xFF)); v >>= 8 }
                i += run
                continue
            }
            // Literal groups of 8 until a long run starts at a group boundary (or the end).
            var p = i
            while p < n {
                if p > i && runLength(at: p) >= 8 { break }
                p += 8
            }
            let groups = (min(p, n) - i + 7) / 8
            varint(UInt64(groups) << 1 | 1, into: &out)
            var buffer: UInt64 = 0, bits = 0
            for k in 0..<(groups * 8) {
                let v = i + k < n ? UInt64(values[i + k]) : 0
                buffer |= v << UInt64(bits)
                bits += bitWidth
                while bits >= 8 {
                    out.append(UInt8(buffer & 0xFF))
                    buffer >>= 8
                    bits -= 8
                }
            }
            if bits > 0 { out.append(UInt8(buffer & 0xFF)) }
            i = min(p, n)
        }
    }

    static func varint(_ v: UInt64, into out: inout [UInt8]) {
        var v = v
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    /// Walks exactly `count` values in `bytes[start..<end]` as runs: `run(value, firstIndex, length)`
    /// once per RLE run and once per bit-packed value; throws when the data runs out or a value
    /// exceeds `maxValue`.
    @inline(__always)
    static func forEachRun(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, bitWidth: Int, count: Int,
                           maxValue: UInt32, _ run: (UInt32, Int, Int) throws -> Void) throws {
        guard bitWidth <= 32 else { throw FormatError("RLE bit width \(bitWidth) exceeds 32") }
        guard start <= end, end <= bytes.count else { throw FormatError("RLE data out of bounds") }
        var p = start
        var done = 0
        let valueBytes = (bitWidth + 7) / 8
        let mask: UInt64 = bitWidth == 32 ? 0xFFFF_FFFF : (UInt64(1) << UInt64(bitWidth)) - 1
        while done < count {
            var header: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard p < end else { throw FormatError("RLE data ends after \(done) of \(count) values") }
                let b = bytes[p]; p += 1
                header |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                guard shift < 64 else { throw FormatError("RLE run header too long") }
            }
            if header & 1 == 0 {
                let length = header >> 1
                guard length > 0 else { throw FormatError("RLE run of length 0") }
                guard end - p >= valueBytes else { throw FormatError("RLE run value truncated") }
                var v: UInt32 = 0
                for k in 0..<valueBytes { v |= UInt32(bytes[p + k]) << UInt32(8 * k) }
                p += valueBytes
                guard v <= maxValue else { throw FormatError("RLE value \(v) exceeds \(maxValue)") }
                let take = Int(min(length, UInt64(count - done)))
                try run(v, done, take)
                done += take
            } else {
                let groups = header >> 1
                guard groups <= UInt64(end - p + 1) else { throw FormatError("bit-packed run longer than its data") }
                let byteCount = Int(groups) * bitWidth
                guard byteCount <= end - p else { throw FormatError("bit-packed run truncated") }
                let take = min(Int(groups) * 8, count - done)
                var buffer: UInt64 = 0, bits = 0, q = p
                for _ in 0..<take {
                    while bits < bitWidth {
                        buffer |= UInt64(bytes[q]) << UInt64(bits)
                        q += 1
                        bits += 8
                    }
                    let v = UInt32(buffer & mask)
                    buffer >>= UInt64(bitWidth)
                    bits -= bitWidth
                    guard v <= maxValue else { throw FormatError("bit-packed value \(v) exceeds \(maxValue)") }
                    try run(v, done, 1)
                    done += 1
                }
                p += byteCount
            }
        }
    }

    /// Decodes exactly `count` values from `bytes[start..<end]` and appends them to `out`.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, bitWidth: Int,
                       count: Int, maxValue: UInt32, into out: inout [UInt32]) throws {
        out.reserveCapacity(out.count + count)
        try forEachRun(bytes, start: start, end: end, bitWidth: bitWidth, count: count, maxValue: maxValue) { v, _, n in
            if n == 1 { out.append(v) } else { out.append(contentsOf: repeatElement(v, count: n)) }
        }
    }
}
