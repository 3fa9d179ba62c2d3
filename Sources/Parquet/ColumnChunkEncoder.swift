// Encodes one column of one row group into pages: PLAIN or dictionary strings, and vector columns
// whose levels say "row starts here" (repetition 0) and "element present" (definition 1).

/// Writer knobs beyond codec and row-group size.
public struct ParquetWriterOptions: Sendable {
    /// When string columns use dictionary encoding.
    public enum Dictionary: Sendable { case auto, always, never }
    public var dictionary: Dictionary = .auto
    /// Data page format version: 1 (default, the most widely read) or 2.
    public var dataPageVersion: Int = 1
    /// Target uncompressed size of one data page.
    public var pageBytes: Int = 1 << 20
    /// Whether close() fsyncs the file.
    public var sync: Bool = false
    /// Default options.
    public init() {}
}

/// A column chunk being written: its metadata, completed as pages go out.
struct EncodedChunk {
    var meta: ColumnMetaData
}

/// Encodes column chunks page by page, handing each page to `sink` as soon as it is ready.
struct ColumnChunkEncoder {
    let codec: ParquetCompression
    let options: ParquetWriterOptions
    let sink: FileSink

    // MARK: strings

    func encodeStrings(_ values: [String], path: [String]) throws -> EncodedChunk {
        var meta = ColumnMetaData(type: PhysicalType.byteArray.rawValue, pathInSchema: path,
                                  codec: codec.thriftValue, numValues: Int64(values.count))
        meta.statistics = stringStatistics(values)
        var chunk = EncodedChunk(meta: meta)
        var plainBytes = 0
        var indexOf: [String: UInt32] = [:]
        var dictionary: [String] = []
        var indices: [UInt32] = []
        indices.reserveCapacity(values.count)
        for v in values {
            plainBytes += 4 + v.utf8.count
            if options.dictionary == .never { continue }
            if let i = indexOf[v] {
                indices.append(i)
            } else {
                let i = UInt32(dictionary.count)
                indexOf[v] = i
                dictionary.append(v)
                indices.append(i)
            }
        }
        let width = RLEHybrid.bitWidth(dictionary.count - 1)
        let dictionaryBytes = dictionary.reduce(0) { $0 + 4 + $1.utf8.count } + (values.count * width + 7) / 8
        let useDictionary = options.dictionary == .always
            || (options.dictionary == .auto && dictionaryBytes * 4 < plainBytes * 3)
        var uncompressed = 0, compressed = 0
        if useDictionary {
            var plain: [UInt8] = []
            plain.reserveCapacity(dictionaryBytes)
            for v in dictionary { appendPlain(v, to: &plain) }
            let body = try codec.compress(plain)
            var header = CompactWriter()
            header.pageHeader(PageHeader(type: PageType.dictionaryPage.rawValue,
                                         uncompressedPageSize: Int32(plain.count),
                                         compressedPageSize: Int32(body.count),
                                         dictionaryPage: DictionaryPageHeader(numValues: Int32(dictionary.count),
                                                                              encoding: Encoding.plain.rawValue)))
            chunk.meta.dictionaryPageOffset = sink.offset
            try sink.write(header.bytes)
            try sink.write(body)
            uncompressed += header.bytes.count + plain.count
            compressed += header.bytes.count + body.count
            let rowsPerPage = max(1, options.pageBytes * 8 / max(width, 1))
            var start = 0
            repeat {
                let end = min(values.count, start + rowsPerPage)
                var page: [UInt8] = [UInt8(width)]
                RLEHybrid.encode(Array(indices[start..<end]), bitWidth: width, into: &page)
                try page.withUnsafeBytes { page in
                    try writeDataPage(values: page, rep: nil, def: nil, numValues: end - start, rows: end - start,
                                      encoding: .rleDictionary, to: &chunk, &uncompressed, &compressed)
                }
                start = end
            } while start < values.count
            chunk.meta.encodings = [Encoding.plain.rawValue, Encoding.rle.rawValue, Encoding.rleDictionary.rawValue]
        } else {
            var start = 0
            repeat {
                var page: [UInt8] = []
                var end = start
                while end < values.count && (end == start || page.count < options.pageBytes) {
                    appendPlain(values[end], to: &page)
                    end += 1
                }
                try page.withUnsafeBytes { page in
                    try writeDataPage(values: page, rep: nil, def: nil, numValues: end - start, rows: end - start,
                                      encoding: .plain, to: &chunk, &uncompressed, &compressed)
                }
                start = end
            } while start < values.count
            chunk.meta.encodings = [Encoding.plain.rawValue, Encoding.rle.rawValue]
        }
        chunk.meta.totalUncompressedSize = Int64(uncompressed)
        chunk.meta.totalCompressedSize = Int64(compressed)
        return chunk
    }

    private func appendPlain(_ s: String, to out: inout [UInt8]) {
        let n = UInt32(s.utf8.count)
        out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)])
        out.append(contentsOf: s.utf8)
    }

    private func stringStatistics(_ values: [String]) -> Statistics {
        var s = Statistics(nullCount: 0)
        guard var lo = values.first.map({ Array($0.utf8) }) else { return s }
        var hi = lo
        for v in values.dropFirst() {
            let b = Array(v.utf8)
            if b.lexicographicallyPrecedes(lo) { lo = b }
            if hi.lexicographicallyPrecedes(b) { hi = b }
        }
        // Like parquet-mr, leave out min/max rather than write huge statistics.
        if lo.count <= 4096 && hi.count <= 4096 {
            s.minValue = lo
            s.maxValue = hi
        }
        return s
    }

    // MARK: vectors

    func encodeVectors<T: BinaryFloatingPoint>(_ values: [T], dimension: Int, path: [String]) throws -> EncodedChunk {
        let physical = T.self == Float.self ? PhysicalType.float : PhysicalType.double
        let rows = values.count / dimension
        var meta = ColumnMetaData(type: physical.rawValue, pathInSchema: path, codec: codec.thriftValue,
                                  numValues: Int64(values.count))
        meta.encodings = [Encoding.plain.rawValue, Encoding.rle.rawValue]
        meta.statistics = floatStatistics(values)
        var chunk = EncodedChunk(meta: meta)
        var uncompressed = 0, compressed = 0
        let rowsPerPage = max(1, options.pageBytes / (dimension * MemoryLayout<T>.size))
        var rowStart = 0
        while rowStart < rows {
            let rowEnd = min(rows, rowStart + rowsPerPage)
            let n = (rowEnd - rowStart) * dimension
            let repBytes = Self.repetitionLevels(rows: rowEnd - rowStart, dimension: dimension)
            var defBytes: [UInt8] = []
            RLEHybrid.varint(UInt64(n) << 1, into: &defBytes)
            defBytes.append(1)
            try values[(rowStart * dimension)..<(rowEnd * dimension)].withUnsafeBytes { page in
                try writeDataPage(values: page, rep: repBytes, def: defBytes, numValues: n, rows: rowEnd - rowStart,
                                  encoding: .plain, to: &chunk, &uncompressed, &compressed)
            }
            rowStart = rowEnd
        }
        chunk.meta.totalUncompressedSize = Int64(uncompressed)
        chunk.meta.totalCompressedSize = Int64(compressed)
        return chunk
    }

    /// Levels 0, 1, 1, … for each row: with 9 or more elements a row is one bit-packed group of
    /// eight (0 then seven 1s) and an RLE run of 1s, so the page is that row's bytes repeated.
    static func repetitionLevels(rows: Int, dimension: Int) -> [UInt8] {
        guard dimension >= 9 else {
            var rep = [UInt32](repeating: 1, count: rows * dimension)
            for r in 0..<rows { rep[r * dimension] = 0 }
            var out: [UInt8] = []
            RLEHybrid.encode(rep, bitWidth: 1, into: &out)
            return out
        }
        var row: [UInt8] = [0x03, 0xFE]
        RLEHybrid.varint(UInt64(dimension - 8) << 1, into: &row)
        row.append(1)
        var out: [UInt8] = []
        out.reserveCapacity(row.count * rows)
        for _ in 0..<rows { out.append(contentsOf: row) }
        return out
    }

    private func floatStatistics<T: BinaryFloatingPoint>(_ values: [T]) -> Statistics {
        var s = Statistics(nullCount: 0)
        var lo = T.infinity, hi = -T.infinity, any = false
        for v in values where !v.isNaN {
            any = true
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        guard any else { return s }
        // Spec: a zero minimum is written as -0 and a zero maximum as +0.
        if lo == 0 { lo = -T(0) }
        if hi == 0 { hi = T(0) }
        s.minValue = withUnsafeBytes(of: lo) { [UInt8]($0) }
        s.maxValue = withUnsafeBytes(of: hi) { [UInt8]($0) }
        return s
    }

    // MARK: pages

    /// Builds one data page (v1: levels and values compressed together; v2: levels stored plain,
    /// values compressed) and writes its header and body to the sink.
    private func writeDataPage(values: UnsafeRawBufferPointer, rep: [UInt8]?, def: [UInt8]?, numValues: Int,
                               rows: Int, encoding: Encoding, to chunk: inout EncodedChunk,
                               _ uncompressed: inout Int, _ compressed: inout Int) throws {
        if chunk.meta.dataPageOffset == 0 { chunk.meta.dataPageOffset = sink.offset }
        var header = PageHeader()
        var raw: [UInt8] = []
        let levelBytes = (rep.map { $0.count + 4 } ?? 0) + (def.map { $0.count + 4 } ?? 0)
        raw.reserveCapacity(values.count + levelBytes)
        let v2 = options.dataPageVersion == 2
        for levels in [rep, def] {
            guard let levels else { continue }
            if !v2 {
                let n = UInt32(levels.count)
                raw.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)])
            }
            raw.append(contentsOf: levels)
        }
        let levelsEnd = raw.count
        raw.append(contentsOf: values)
        let rawSize = raw.count
        let body: [UInt8]
        var prefix: [UInt8] = []
        if v2 {
            prefix = Array(raw[0..<levelsEnd])
            body = try codec.compress(Array(raw[levelsEnd...]))
            header.type = PageType.dataPageV2.rawValue
            header.dataPageV2 = DataPageHeaderV2(numValues: Int32(numValues), numNulls: 0, numRows: Int32(rows),
                                                 encoding: encoding.rawValue,
                                                 definitionLevelsByteLength: Int32(def?.count ?? 0),
                                                 repetitionLevelsByteLength: Int32(rep?.count ?? 0),
                                                 isCompressed: codec != .uncompressed)
        } else {
            body = try codec.compress(raw)
            header.type = PageType.dataPage.rawValue
            header.dataPage = DataPageHeader(numValues: Int32(numValues), encoding: encoding.rawValue,
                                             definitionLevelEncoding: Encoding.rle.rawValue,
                                             repetitionLevelEncoding: Encoding.rle.rawValue)
        }
        let stored = prefix.count + body.count
        guard rawSize <= Int32.max, stored <= Int32.max else {
            throw FormatError("page of \(rawSize) bytes exceeds Parquet's 2 GiB page limit")
        }
        header.uncompressedPageSize = Int32(rawSize)
        header.compressedPageSize = Int32(stored)
        var w = CompactWriter()
        w.pageHeader(header)
        try sink.write(w.bytes)
        if !prefix.isEmpty { try sink.write(prefix) }
        try sink.write(body)
        uncompressed += w.bytes.count + rawSize
        compressed += w.bytes.count + stored
    }
}
