// Decoding of DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY (parquet-format
// Encodings.md), which parquet-mr's v2 writer uses for string columns without a dictionary.

enum DeltaDecoding {
    /// Decodes `count` integers starting at `p`; advances `p` past the whole encoded block list.
    static func binaryPacked(_ buf: UnsafeBufferPointer<UInt8>, _ p: inout Int, end: Int, count: Int) throws -> [Int64] {
        func varint() throws -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard p < end else { throw FormatError("DELTA_BINARY_PACKED data ends early") }
                let b = buf[p]; p += 1
                result |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
                guard shift < 64 else { throw FormatError("DELTA_BINARY_PACKED varint too long") }
            }
        }
        func zigzag() throws -> Int64 {
            let v = try varint()
            return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
        }
        let blockSize = try varint(), miniblocks = try varint(), total = try varint()
        var value = try zigzag()
        guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 16, miniblocks > 0,
              blockSize % miniblocks == 0, (blockSize / miniblocks) % 32 == 0 else {
            throw FormatError("DELTA_BINARY_PACKED header has block size \(blockSize) with \(miniblocks) miniblocks")
        }
        guard total == UInt64(count) else {
            throw FormatError("DELTA_BINARY_PACKED holds \(total) values, the page \(count)")
        }
        let perMiniblock = Int(blockSize / miniblocks)
        var out: [Int64] = []
        out.reserveCapacity(count)
        if total > 0 { out.append(value) }
        var remaining = Int(min(total, UInt64(Int.max))) - 1
        while remaining > 0 {
            let minDelta = try zigzag()
            guard end - p >= Int(miniblocks) else { throw FormatError("DELTA_BINARY_PACKED bit widths truncated") }
            let widths = Array(buf[p..<(p + Int(miniblocks))])
            p += Int(miniblocks)
            for width in widths where remaining > 0 {
                guard width <= 64 else { throw FormatError("DELTA_BINARY_PACKED bit width \(width)") }
                let bytes = perMiniblock * Int(width) / 8
                guard end - p >= bytes else { throw FormatError("DELTA_BINARY_PACKED miniblock truncated") }
                var buffer: UInt64 = 0, bits = 0, q = p
                let take = min(perMiniblock, remaining)
                for _ in 0..<take {
                    var packed: UInt64 = 0
                    var got = 0
                    // Values may exceed 56 bits, so gather them in pieces of at most 8 bits.
                    while got < Int(width) {
                        if bits == 0 { buffer = UInt64(buf[q]); q += 1; bits = 8 }
                        let n = min(bits, Int(width) - got)
                        packed |= (buffer & ((1 << UInt64(n)) - 1)) << UInt64(got)
                        buffer >>= UInt64(n)
                        bits -= n
                        got += n
                    }
                    value = value &+ minDelta &+ Int64(bitPattern: packed)
                    if out.count < count { out.append(value) }
                }
                remaining -= take
                p += bytes
            }
        }
        return out
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the lengths, then the bytes of every value back to back.
    static func lengthByteArray(_ buf: UnsafeBufferPointer<UInt8>, _ p: inout Int, end: Int, count: Int) throws -> [[UInt8]] {
        let lengths = try binaryPacked(buf, &p, end: end, count: count)
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        for n in lengths {
            guard n >= 0, n <= Int64(end - p) else { throw FormatError("DELTA_LENGTH_BYTE_ARRAY length \(n) overruns the page") }
            out.append(Array(buf[p..<(p + Int(n))]))
            p += Int(n)
        }
        return out
    }

    /// DELTA_BYTE_ARRAY: prefix lengths shared with the previous value, then the suffixes.
    static func byteArray(_ buf: UnsafeBufferPointer<UInt8>, _ p: inout Int, end: Int, count: Int) throws -> [String] {
        let prefixes = try binaryPacked(buf, &p, end: end, count: count)
        let suffixes = try lengthByteArray(buf, &p, end: end, count: count)
        guard prefixes.count == count, suffixes.count == count else {
            throw FormatError("DELTA_BYTE_ARRAY holds fewer than \(count) values")
        }
        var out: [String] = []
        out.reserveCapacity(count)
        var previous: [UInt8] = []
        var totalBytes = 0
        for i in 0..<count {
            let k = prefixes[i]
            guard k >= 0, k <= Int64(previous.count) else {
                throw FormatError("DELTA_BYTE_ARRAY prefix \(k) longer than the previous value")
            }
            let value = Array(previous[0..<Int(k)]) + suffixes[i]
            totalBytes += value.count
            // Shared prefixes could otherwise expand a small page into an enormous one.
            guard totalBytes <= ReaderLimits.pageBytes else {
                throw FormatError("DELTA_BYTE_ARRAY values expand past \(ReaderLimits.pageBytes) bytes")
            }
            out.append(String(decoding: value, as: UTF8.self))
            previous = value
        }
        return out
    }
}
