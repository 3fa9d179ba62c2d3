import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A column of vectors (list<float> or list<double>) read from one row group.
public struct VectorColumn: Sendable {
    /// The elements of all rows, concatenated, as stored (float or double).
    public enum Values: Sendable {
        case float([Float])
        case double([Double])
    }
    public var values: Values
    /// `rows + 1` offsets: row `i` is `values[offsets[i]..<offsets[i+1]]`.
    public var offsets: [Int]
    /// Rows whose list is null (they have no elements); empty when none is.
    public var nullRows: Set<Int>

    /// Number of rows.
    public var count: Int { offsets.count - 1 }

    /// The common length of every row, or nil when rows differ (or there are none).
    public var uniformDimension: Int? {
        guard count > 0 else { return nil }
        let d = offsets[1] - offsets[0]
        for i in 1..<count where offsets[i + 1] - offsets[i] != d { return nil }
        return d
    }

    /// All elements widened to double.
    public var doubles: [Double] {
        switch values {
        case .float(let v): v.map(Double.init)
        case .double(let v): v
        }
    }

    /// All elements as float (doubles are rounded).
    public var floats: [Float] {
        switch values {
        case .float(let v): v
        case .double(let v): v.map(Float.init)
        }
    }
}

/// Column statistics from the footer, raw as stored (little-endian PLAIN bytes).
public struct ColumnStatistics: Sendable, Equatable {
    public var nullCount: Int?
    public var min: [UInt8]?
    public var max: [UInt8]?
}

/// Reads one Parquet file a row group at a time: string columns and list<float|double> columns in
/// the standard and Spark's legacy list layouts.
public final class ParquetFileReader {
    public let url: URL
    /// Total rows in the file.
    public let rowCount: Int
    /// The footer's key-value metadata (a missing value reads as "").
    public let metadata: [String: String]
    /// The top-level field names, in schema order.
    public let columnNames: [String]
    /// The footer's created_by, when present.
    public let createdBy: String?

    private let fd: Int32
    private let fileSize: Int
    private let meta: FileMetaData
    private let leaves: [LeafColumn]

    /// Opens the file and reads its footer; throws `ParquetError` when it is not a valid Parquet file.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ParquetError(file: path, "cannot open: \(String(cString: strerror(errno)))") }
        var ok = false
        defer { if !ok { close(fd) } }
        self.fd = fd
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ParquetError(file: path, "cannot stat") }
        fileSize = Int(st.st_size)
        guard fileSize >= 12 else { throw ParquetError(file: path, "not a Parquet file: only \(fileSize) bytes") }
        let head = try Self.read(fd, path, offset: 0, count: 4)
        let tail = try Self.read(fd, path, offset: fileSize - 8, count: 8)
        guard head == Array("PAR1".utf8), tail[4...] == ArraySlice("PAR1".utf8) else {
            throw ParquetError(file: path, "not a Parquet file: magic bytes PAR1 missing")
        }
        let footerLength = Int(UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24)
        guard footerLength > 0, footerLength <= fileSize - 12 else {
            throw ParquetError(file: path, "footer length \(footerLength) does not fit in a \(fileSize)-byte file")
        }
        let footer = try Self.read(fd, path, offset: fileSize - 8 - footerLength, count: footerLength)
        do {
            var r = CompactReader(footer)
            meta = try r.fileMetaData()
            leaves = try SchemaTree.leaves(of: meta.schema)
        } catch let e as FormatError {
            throw ParquetError(file: path, "corrupt footer: \(e.reason)")
        }
        for (i, g) in meta.rowGroups.enumerated() {
            guard g.columns.count == leaves.count else {
                throw ParquetError(file: path, "row group \(i) has \(g.columns.count) columns, schema has \(leaves.count)")
            }
            guard g.numRows >= 0 else { throw ParquetError(file: path, "row group \(i) has \(g.numRows) rows") }
        }
        guard meta.numRows >= 0, meta.numRows <= Int64(Int32.max) * 64 else {
            throw ParquetError(file: path, "footer claims \(meta.numRows) rows")
        }
        rowCount = Int(meta.numRows)
        var kv: [String: String] = [:]
        for (k, v) in meta.keyValues { kv[k] = v ?? "" }
        metadata = kv
        createdBy = meta.createdBy
        var names: [String] = []
        for l in leaves where names.last != l.path[0] { names.append(l.path[0]) }
        columnNames = names
        ok = true
    }

    deinit { close(fd) }

    /// Number of row groups.
    public var rowGroupCount: Int { meta.rowGroups.count }

    /// Rows in row group `index` (0 for an index out of range).
    public func rowCount(rowGroup index: Int) -> Int {
        meta.rowGroups.indices.contains(index) ? Int(meta.rowGroups[index].numRows) : 0
    }

    /// The footer statistics of a column's leaf in one row group.
    public func statistics(column: String, rowGroup: Int) throws -> ColumnStatistics? {
        let i = try leafIndex(column)
        guard rowGroup >= 0 && rowGroup < rowGroupCount else { throw ParquetError(file: url.path, "no row group \(rowGroup)") }
        return meta.rowGroups[rowGroup].columns[i].statistics.map {
            ColumnStatistics(nullCount: $0.nullCount.map { Int($0) }, min: $0.minValue, max: $0.maxValue)
        }
    }

    /// The codec of a column in one row group.
    public func compression(column: String, rowGroup: Int) throws -> ParquetCompression? {
        let i = try leafIndex(column)
        guard rowGroup >= 0 && rowGroup < rowGroupCount else { throw ParquetError(file: url.path, "no row group \(rowGroup)") }
        return ParquetCompression(thriftValue: meta.rowGroups[rowGroup].columns[i].codec)
    }

    /// Reads a top-level string column of one row group; nulls read as nil.
    public func readStrings(_ column: String, rowGroup: Int) throws -> [String?] {
        let i = try leafIndex(column)
        let leaf = leaves[i]
        guard leaf.element.type == PhysicalType.byteArray.rawValue, leaf.maxRepetition == 0, leaf.path.count == 1 else {
            throw ParquetError(file: url.path, "column \(column) is not a string column")
        }
        var out: [String?] = []
        var values = DecodedValues.strings([])
        var consumed = 0
        try readChunk(index: i, rowGroup: rowGroup, kind: .string, values: &values) { _, def, present, decoded in
            guard case .strings(let all) = decoded else { return }
            if let def {
                let maxDef = UInt32(leaf.maxDefinition)
                var k = consumed
                for d in try def.decoded() {
                    if d == maxDef { out.append(all[k]); k += 1 } else { out.append(nil) }
                }
            } else {
                out.append(contentsOf: all[consumed..<(consumed + present)].map { Optional($0) })
            }
            consumed += present
        }
        try checkRows(out.count, column: column, rowGroup: rowGroup)
        return out
    }

    /// Reads a list<float> or list<double> column of one row group, in any of the standard 3-level,
    /// Spark legacy `bag/array`, or 2-level `repeated T array` layouts.
    public func readVectors(_ column: String, rowGroup: Int) throws -> VectorColumn {
        let i = try leafIndex(column)
        let leaf = leaves[i]
        let kind: LeafKind
        switch leaf.element.type {
        case PhysicalType.float.rawValue: kind = .float
        case PhysicalType.double.rawValue: kind = .double
        default: throw ParquetError(file: url.path, "column \(column) is not a list of float or double")
        }
        guard leaf.maxRepetition == 1 else {
            throw ParquetError(file: url.path, "column \(column) is not a list of float or double (nesting depth \(leaf.maxRepetition))")
        }
        var offsets: [Int] = []
        offsets.reserveCapacity(min(rowCount(rowGroup: rowGroup), 1 << 20) + 1)
        var nullRows = Set<Int>()
        var total = 0
        var values: DecodedValues
        // Room for the chunk's values up front (capped: the count comes from the file).
        let expected = try min(Int(clamping: valueCount(index: i, rowGroup: rowGroup)), 1 << 26)
        if kind == .float {
            var v: [Float] = []
            v.reserveCapacity(expected)
            values = .floats(v)
        } else {
            var v: [Double] = []
            v.reserveCapacity(expected)
            values = .doubles(v)
        }
        let maxDef = UInt32(leaf.maxDefinition), entryDef = UInt32(leaf.definitionOfEntry)
        let fieldDef = UInt32(leaf.definitionOfField)
        try readChunk(index: i, rowGroup: rowGroup, kind: kind, values: &values) { rep, def, present, _ in
            guard let rep else { throw FormatError("list column without repetition levels") }
            if present == rep.count {
                // Every entry is a present element: rows start where the repetition level is 0.
                try rep.forEachRun { v, first, length in
                    guard v == 0 else {
                        if first == 0 && offsets.isEmpty { throw FormatError("column chunk starts in the middle of a row") }
                        return
                    }
                    for k in first..<(first + length) { offsets.append(total + k) }
                }
                total += rep.count
                return
            }
            let repLevels = try rep.decoded()
            let defLevels = try def?.decoded()
            for k in 0..<repLevels.count {
                let d = defLevels?[k] ?? maxDef
                if repLevels[k] == 0 {
                    offsets.append(total)
                    if d < fieldDef { nullRows.insert(offsets.count - 1) }
                } else if offsets.isEmpty {
                    throw FormatError("column chunk starts in the middle of a row")
                }
                if d == maxDef {
                    total += 1
                } else if d >= entryDef {
                    throw FormatError("null list element (imgfeat vectors cannot hold nulls)")
                }
            }
        }
        offsets.append(total)
        let stored: VectorColumn.Values
        switch values {
        case .floats(let v): stored = .float(v)
        case .doubles(let v): stored = .double(v)
        case .strings: throw ParquetError(file: url.path, "column \(column): internal kind mismatch")
        }
        let result = VectorColumn(values: stored, offsets: offsets, nullRows: nullRows)
        try checkRows(result.count, column: column, rowGroup: rowGroup)
        return result
    }

    private func valueCount(index: Int, rowGroup: Int) throws -> Int64 {
        guard rowGroup >= 0 && rowGroup < rowGroupCount else {
            throw ParquetError(file: url.path, "no row group \(rowGroup) (the file has \(rowGroupCount))")
        }
        return max(0, meta.rowGroups[rowGroup].columns[index].numValues)
    }

    private func checkRows(_ n: Int, column: String, rowGroup: Int) throws {
        guard n == rowCount(rowGroup: rowGroup) else {
            throw ParquetError(file: url.path, "column \(column), row group \(rowGroup): \(n) rows, footer says \(rowCount(rowGroup: rowGroup))")
        }
    }

    private func leafIndex(_ column: String) throws -> Int {
        let matches = leaves.indices.filter { leaves[$0].path[0] == column }
        guard let first = matches.first else {
            throw ParquetError(file: url.path, "no column named \(column) (columns: \(columnNames.joined(separator: ", ")))")
        }
        guard matches.count == 1 else {
            throw ParquetError(file: url.path, "column \(column) is a nested group of \(matches.count) leaves, not supported")
        }
        return first
    }

    private func readChunk(index: Int, rowGroup: Int, kind: LeafKind, values: inout DecodedValues,
                           page: (Levels?, Levels?, Int, DecodedValues) throws -> Void) throws {
        let column = leaves[index].path.joined(separator: ".")
        guard rowGroup >= 0 && rowGroup < rowGroupCount else {
            throw ParquetError(file: url.path, "no row group \(rowGroup) (the file has \(rowGroupCount))")
        }
        let c = meta.rowGroups[rowGroup].columns[index]
        guard let codec = ParquetCompression(thriftValue: c.codec) else {
            throw ParquetError(file: url.path, "column \(column): unsupported compression \(ParquetCompression.name(ofThrift: c.codec))")
        }
        guard c.type == leaves[index].element.type else {
            throw ParquetError(file: url.path, "column \(column): chunk type \(c.type) differs from the schema's")
        }
        var start = c.dataPageOffset
        if let d = c.dictionaryPageOffset, d >= 4, d < start { start = d }
        let length = c.totalCompressedSize
        guard start >= 4, length >= 0, start <= Int64(fileSize), length <= Int64(fileSize) - start,
              c.numValues >= 0 else {
            throw ParquetError(file: url.path, "column \(column), row group \(rowGroup): chunk at \(start) of \(length) bytes lies outside the \(fileSize)-byte file")
        }
        let bytes = try Self.read(fd, url.path, offset: Int(start), count: Int(length))
        let reader = ColumnChunkReader(leaf: leaves[index], kind: kind, codec: codec, numValues: Int(c.numValues))
        do {
            try reader.read(bytes, values: &values, page: page)
        } catch let e as FormatError {
            throw ParquetError(file: url.path, "column \(column), row group \(rowGroup): \(e.reason)")
        }
    }

    private static func read(_ fd: Int32, _ path: String, offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buf, n in
            var done = 0
            while done < count {
                let r = pread(fd, buf.baseAddress! + done, count - done, off_t(offset + done))
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else {
                    n = 0
                    throw ParquetError(file: path, "read of \(count) bytes at \(offset) failed")
                }
                done += r
            }
            n = count
        }
    }
}
