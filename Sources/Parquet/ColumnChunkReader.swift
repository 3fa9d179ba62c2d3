// Decodes the pages of one column chunk: page headers, decompression, RLE/bit-packed levels, and
// PLAIN or dictionary values, into non-null values plus the levels that place them in rows.

/// Limits that keep a corrupt file from making the reader allocate without bound.
enum ReaderLimits {
    /// Most values (levels) one page may claim.
    static let pageValues = 1 << 24
    /// Most bytes one page may expand to.
    static let pageBytes = 1 << 28
}

enum LeafKind { case string, float, double }

/// Non-null values decoded from a chunk, of one kind.
enum DecodedValues {
    case strings([String])
    case floats([Float])
    case doubles([Double])
}

struct ColumnChunkReader {
    let leaf: LeafColumn
    let kind: LeafKind
    let codec: ParquetCompression
    let numValues: Int

    /// Calls `page` for each data page with its repetition and definition levels (nil when the
    /// column has none) and the number of non-null values it appended to `values`.
    func read(_ chunk: [UInt8], values: inout DecodedValues,
              page: (Levels?, Levels?, Int, DecodedValues) throws -> Void) throws {
        var dictionary: DecodedValues?
        var position = 0
        var seen = 0
        while seen < numValues {
            guard position < chunk.count else {
                throw FormatError("column chunk ends after \(seen) of \(numValues) values")
            }
            var r = CompactReader(chunk, start: position)
            let header = try r.pageHeader()
            position = r.position
            let compressedSize = Int(header.compressedPageSize)
            let size = Int(header.uncompressedPageSize)
            guard compressedSize >= 0, compressedSize <= chunk.count - position else {
                throw FormatError("page of \(compressedSize) bytes overruns its column chunk")
            }
            guard size >= 0, size <= ReaderLimits.pageBytes else {
                throw FormatError("page claims an uncompressed size of \(size) bytes")
            }
            let body = chunk[position..<(position + compressedSize)]
            position += compressedSize
            switch header.type {
            case PageType.dictionaryPage.rawValue:
                guard let d = header.dictionaryPage else { throw FormatError("dictionary page without its header") }
                guard d.encoding == Encoding.plain.rawValue || d.encoding == Encoding.plainDictionary.rawValue else {
                    throw FormatError("unsupported dictionary page encoding \(d.encoding)")
                }
                let raw = try codec.decompress(body, size: size)
                guard d.numValues >= 0 else { throw FormatError("negative dictionary size") }
                dictionary = try raw.withUnsafeBufferPointer { try decodePlain($0, 0, Int(d.numValues)) }
            case PageType.dataPage.rawValue:
                guard let d = header.dataPage else { throw FormatError("data page without its header") }
                let n = try checkCount(d.numValues, seen: seen)
                let raw = try inflate(body, size: size)
                try raw.withUnsafeBufferPointer { buf in
                    var p = 0
                    let rep = try leaf.maxRepetition > 0
                        ? prefixedLevels(buf, &p, encoding: d.repetitionLevelEncoding, max: leaf.maxRepetition, count: n) : nil
                    let def = try leaf.maxDefinition > 0
                        ? prefixedLevels(buf, &p, encoding: d.definitionLevelEncoding, max: leaf.maxDefinition, count: n) : nil
                    let present = try def.map { try $0.count(of: leaf.maxDefinition) } ?? n
                    try decodeValues(buf, p, count: present, encoding: d.encoding, dictionary: dictionary, into: &values)
                    try page(rep, def, present, values)
                }
                seen += n
            case PageType.dataPageV2.rawValue:
                guard let d = header.dataPageV2 else { throw FormatError("data page v2 without its header") }
                let n = try checkCount(d.numValues, seen: seen)
                let repLength = Int(d.repetitionLevelsByteLength), defLength = Int(d.definitionLevelsByteLength)
                guard repLength >= 0, defLength >= 0, repLength + defLength <= body.count,
                      repLength + defLength <= size else {
                    throw FormatError("data page v2 level lengths \(repLength)+\(defLength) exceed the page")
                }
                let levels = Array(body.prefix(repLength + defLength))
                let rest = body.dropFirst(repLength + defLength)
                let raw = d.isCompressed ? try inflate(rest, size: size - repLength - defLength) : rest
                let rep = leaf.maxRepetition > 0
                    ? Levels(bytes: Array(levels[0..<repLength]), maxLevel: leaf.maxRepetition, count: n) : nil
                let def = leaf.maxDefinition > 0
                    ? Levels(bytes: Array(levels[repLength...]), maxLevel: leaf.maxDefinition, count: n) : nil
                let present = try def.map { try $0.count(of: leaf.maxDefinition) } ?? n
                try raw.withUnsafeBufferPointer { buf in
                    try decodeValues(buf, 0, count: present, encoding: d.encoding, dictionary: dictionary, into: &values)
                }
                try page(rep, def, present, values)
                seen += n
            case PageType.indexPage.rawValue:
                continue
            default:
                throw FormatError("unknown page type \(header.type)")
            }
        }
    }

    /// The page body decompressed; uncompressed bodies are used in place.
    private func inflate(_ body: ArraySlice<UInt8>, size: Int) throws -> ArraySlice<UInt8> {
        if codec == .uncompressed {
            guard body.count == size else {
                throw FormatError("uncompressed page holds \(body.count) bytes, header says \(size)")
            }
            return body
        }
        return ArraySlice(try codec.decompress(body, size: size))
    }

    private func checkCount(_ n: Int32, seen: Int) throws -> Int {
        guard n >= 0, Int(n) <= ReaderLimits.pageValues else { throw FormatError("page claims \(n) values") }
        guard seen + Int(n) <= numValues else {
            throw FormatError("pages hold more values than the column chunk's \(numValues)")
        }
        return Int(n)
    }

    /// Data page v1 levels: a 4-byte little-endian length, then RLE/bit-packed data.
    private func prefixedLevels(_ buf: UnsafeBufferPointer<UInt8>, _ p: inout Int, encoding: Int32, max: Int,
                                count: Int) throws -> Levels {
        guard encoding == Encoding.rle.rawValue else {
            throw FormatError("unsupported level encoding \(Self.encodingName(encoding)) (only RLE)")
        }
        guard buf.count - p >= 4 else { throw FormatError("page too short for its levels") }
        let length = Int(UInt32(buf[p]) | UInt32(buf[p + 1]) << 8 | UInt32(buf[p + 2]) << 16 | UInt32(buf[p + 3]) << 24)
        p += 4
        guard length <= buf.count - p else { throw FormatError("level data of \(length) bytes overruns the page") }
        defer { p += length }
        return Levels(bytes: Array(buf[p..<(p + length)]), maxLevel: max, count: count)
    }

    private func decodeValues(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, count: Int, encoding: Int32,
                              dictionary: DecodedValues?, into values: inout DecodedValues) throws {
        switch encoding {
        case Encoding.plain.rawValue where kind == .float:
            guard case .floats(var a) = values else { throw FormatError("value kinds disagree") }
            values = .floats([])
            try Self.appendRaw(buf, start, count, to: &a)
            values = .floats(a)
        case Encoding.plain.rawValue where kind == .double:
            guard case .doubles(var a) = values else { throw FormatError("value kinds disagree") }
            values = .doubles([])
            try Self.appendRaw(buf, start, count, to: &a)
            values = .doubles(a)
        case Encoding.plain.rawValue:
            let decoded = try decodePlain(buf, start, count)
            switch (values, decoded) {
            case (.strings(var a), .strings(let b)): values = .strings([]); a.append(contentsOf: b); values = .strings(a)
            case (.floats(var a), .floats(let b)): values = .floats([]); a.append(contentsOf: b); values = .floats(a)
            case (.doubles(var a), .doubles(let b)): values = .doubles([]); a.append(contentsOf: b); values = .doubles(a)
            default: throw FormatError("value kinds disagree")
            }
        case Encoding.plainDictionary.rawValue, Encoding.rleDictionary.rawValue:
            guard let dictionary else { throw FormatError("dictionary-encoded page without a dictionary page") }
            guard start < buf.count || count == 0 else { throw FormatError("dictionary page data missing its bit width") }
            if count == 0 { return }
            let width = Int(buf[start])
            let dictCount: Int
            switch dictionary {
            case .strings(let d): dictCount = d.count
            case .floats(let d): dictCount = d.count
            case .doubles(let d): dictCount = d.count
            }
            guard dictCount > 0 else { throw FormatError("dictionary indices into an empty dictionary") }
            var indices: [UInt32] = []
            try RLEHybrid.decode(buf, start: start + 1, end: buf.count, bitWidth: width, count: count,
                                 maxValue: UInt32(dictCount - 1), into: &indices)
            switch (values, dictionary) {
            case (.strings(var a), .strings(let d)):
                values = .strings([]); a.reserveCapacity(a.count + count)
                for i in indices { a.append(d[Int(i)]) }
                values = .strings(a)
            case (.floats(var a), .floats(let d)):
                values = .floats([]); a.reserveCapacity(a.count + count)
                for i in indices { a.append(d[Int(i)]) }
                values = .floats(a)
            case (.doubles(var a), .doubles(let d)):
                values = .doubles([]); a.reserveCapacity(a.count + count)
                for i in indices { a.append(d[Int(i)]) }
                values = .doubles(a)
            default: throw FormatError("dictionary kind disagrees with the column")
            }
        case Encoding.deltaByteArray.rawValue, Encoding.deltaLengthByteArray.rawValue:
            guard kind == .string, case .strings(var a) = values else {
                throw FormatError("\(Self.encodingName(encoding)) encoding on a non-string column")
            }
            guard count > 0 else { return }
            var p = start
            let decoded = encoding == Encoding.deltaByteArray.rawValue
                ? try DeltaDecoding.byteArray(buf, &p, end: buf.count, count: count)
                : try DeltaDecoding.lengthByteArray(buf, &p, end: buf.count, count: count).map { String(decoding: $0, as: UTF8.self) }
            guard decoded.count == count else { throw FormatError("page holds fewer than \(count) strings") }
            values = .strings([])
            a.append(contentsOf: decoded)
            values = .strings(a)
        default:
            throw FormatError("unsupported value encoding \(Self.encodingName(encoding))")
        }
    }

    /// Appends `count` little-endian values stored at `start` (maybe unaligned) with one copy.
    static func appendRaw<T: BinaryFloatingPoint>(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int,
                                                  to a: inout [T]) throws {
        let size = MemoryLayout<T>.size
        guard start <= buf.count, count <= (buf.count - start) / size else {
            throw FormatError("page holds fewer than \(count) values")
        }
        let old = a.count
        a.append(contentsOf: repeatElement(0, count: count))
        a.withUnsafeMutableBytes { out in
            (out.baseAddress! + old * size).copyMemory(from: buf.baseAddress! + start, byteCount: count * size)
        }
    }

    static func encodingName(_ e: Int32) -> String {
        Encoding(rawValue: e).map { "\($0)" } ?? "\(e)"
    }

    private func decodePlain(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) throws -> DecodedValues {
        guard start <= buf.count else { throw FormatError("page values start past the page end") }
        switch kind {
        case .float:
            guard count <= (buf.count - start) / 4 else { throw FormatError("page holds fewer than \(count) floats") }
            return .floats([Float](unsafeUninitializedCapacity: count) { out, n in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buf[start..<(start + count * 4)])))
                n = count
            })
        case .double:
            guard count <= (buf.count - start) / 8 else { throw FormatError("page holds fewer than \(count) doubles") }
            return .doubles([Double](unsafeUninitializedCapacity: count) { out, n in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buf[start..<(start + count * 8)])))
                n = count
            })
        case .string:
            guard count <= (buf.count - start) / 4 else { throw FormatError("page holds fewer than \(count) strings") }
            var out: [String] = []
            out.reserveCapacity(count)
            var p = start
            for _ in 0..<count {
                guard buf.count - p >= 4 else { throw FormatError("string length runs past the page end") }
                let n = Int(UInt32(buf[p]) | UInt32(buf[p + 1]) << 8 | UInt32(buf[p + 2]) << 16 | UInt32(buf[p + 3]) << 24)
                p += 4
                guard n <= buf.count - p else { throw FormatError("string of \(n) bytes runs past the page end") }
                out.append(String(decoding: UnsafeBufferPointer(rebasing: buf[p..<(p + n)]), as: UTF8.self))
                p += n
            }
            return .strings(out)
        }
    }
}
