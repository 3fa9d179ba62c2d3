import Foundation

/// Streams a table to one Parquet file: rows are appended batch by batch and written out a row group
/// at a time, so memory holds at most one row group.
public final class ParquetWriter {
    /// The file being written.
    public let url: URL
    public let schema: ParquetSchema
    public let compression: ParquetCompression
    /// Rows written to the file so far (flushed row groups only).
    public private(set) var rowsWritten = 0
    /// Row groups written so far.
    public private(set) var rowGroupsWritten = 0

    private let rowGroupRows: Int
    private let metadata: [String: String]
    private let options: ParquetWriterOptions
    private let sink: FileSink
    private var buffers: [ColumnBuffer]
    private var bufferedRows = 0
    private var rowGroups: [RowGroupMeta] = []
    private var closed = false
    private var failed = false

    /// Creates (or truncates) the file at `url`; `metadata` goes into the footer's key-value metadata.
    public init(url: URL, schema: ParquetSchema, compression: ParquetCompression = .snappy,
                metadata: [String: String] = [:], rowGroupRows: Int = 8192,
                options: ParquetWriterOptions = ParquetWriterOptions()) throws {
        guard rowGroupRows > 0 else { throw ParquetError(file: url.path, "row group size must be positive") }
        guard !schema.columns.isEmpty else { throw ParquetError(file: url.path, "schema has no columns") }
        guard options.dataPageVersion == 1 || options.dataPageVersion == 2 else {
            throw ParquetError(file: url.path, "data page version must be 1 or 2, not \(options.dataPageVersion)")
        }
        self.url = url
        self.schema = schema
        self.compression = compression
        self.metadata = metadata
        self.rowGroupRows = rowGroupRows
        self.options = options
        self.buffers = schema.columns.map { ColumnBuffer(type: $0.type) }
        sink = try FileSink(path: url.path)
        try sink.write(Array("PAR1".utf8))
    }

    /// Appends one batch: one entry per schema column, in schema order, all with the same row count.
    public func append(_ columns: [ParquetColumnData]) throws {
        guard !closed else { throw ParquetError(file: url.path, "append after close") }
        guard !failed else { throw ParquetError(file: url.path, "append after a failed write") }
        guard columns.count == schema.columns.count else {
            throw ParquetError(file: url.path, "batch has \(columns.count) columns, schema has \(schema.columns.count)")
        }
        var rows: Int?
        for (data, column) in zip(columns, schema.columns) {
            let n: Int
            switch (data, column.type) {
            case (.strings(let s), .string):
                n = s.count
            case (.floatVectors(let v, let d), .floatList):
                n = try checkVectors(count: v.count, dimension: d, column: column.name)
            case (.doubleVectors(let v, let d), .doubleList):
                n = try checkVectors(count: v.count, dimension: d, column: column.name)
            default:
                throw ParquetError(file: url.path, "column \(column.name): batch value type does not match the schema")
            }
            if let r = rows, r != n {
                throw ParquetError(file: url.path, "column \(column.name) has \(n) rows, the batch has \(r)")
            }
            rows = n
        }
        let total = rows ?? 0
        var start = 0
        while start < total {
            let take = min(total - start, rowGroupRows - bufferedRows)
            for i in columns.indices {
                try buffers[i].append(columns[i], rows: start..<(start + take), column: schema.columns[i].name, file: url.path)
            }
            bufferedRows += take
            start += take
            if bufferedRows == rowGroupRows { try flushRowGroup() }
        }
    }

    private func checkVectors(count: Int, dimension: Int, column: String) throws -> Int {
        guard dimension > 0, count % dimension == 0 else {
            throw ParquetError(file: url.path, "column \(column): \(count) values do not make rows of dimension \(dimension)")
        }
        return count / dimension
    }

    /// Writes any buffered rows as a last row group, then the footer; the file is complete after this.
    public func close() throws {
        guard !closed else { return }
        guard !failed else { throw ParquetError(file: url.path, "close after a failed write") }
        closed = true
        if bufferedRows > 0 { try flushRowGroup() }
        var meta = FileMetaData(version: 2, schema: schema.elements, numRows: Int64(rowsWritten), rowGroups: rowGroups)
        meta.keyValues = metadata.keys.sorted().map { ($0, metadata[$0]) }
        meta.createdBy = "imgfeat parquet writer"
        var w = CompactWriter()
        w.fileMetaData(meta)
        let length = UInt32(w.bytes.count)
        try sink.write(w.bytes + [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF),
                                  UInt8(length >> 24)] + Array("PAR1".utf8))
        try sink.close(sync: options.sync)
    }

    private func flushRowGroup() throws {
        // A failure part-way leaves a broken file: refuse to go on writing it.
        failed = true
        let encoder = ColumnChunkEncoder(codec: compression, options: options, sink: sink)
        var group = RowGroupMeta(numRows: Int64(bufferedRows))
        for (i, column) in schema.columns.enumerated() {
            let chunk: EncodedChunk
            do {
                switch buffers[i] {
                case .strings(let s):
                    chunk = try encoder.encodeStrings(s, path: schema.leafPath(column))
                case .floats(let v, let d):
                    chunk = try encoder.encodeVectors(v, dimension: d, path: schema.leafPath(column))
                case .doubles(let v, let d):
                    chunk = try encoder.encodeVectors(v, dimension: d, path: schema.leafPath(column))
                }
            } catch let e as FormatError {
                throw ParquetError(file: url.path, "column \(column.name): \(e.reason)")
            }
            group.totalByteSize += chunk.meta.totalUncompressedSize
            group.columns.append(chunk.meta)
            buffers[i].removeAll()
        }
        rowGroups.append(group)
        rowsWritten += bufferedRows
        rowGroupsWritten += 1
        bufferedRows = 0
        failed = false
    }
}

/// The rows of one column waiting for the current row group to fill.
enum ColumnBuffer {
    case strings([String])
    case floats([Float], dimension: Int)
    case doubles([Double], dimension: Int)

    init(type: ParquetColumnType) {
        switch type {
        case .string: self = .strings([])
        case .floatList: self = .floats([], dimension: 0)
        case .doubleList: self = .doubles([], dimension: 0)
        }
    }

    mutating func append(_ data: ParquetColumnData, rows: Range<Int>, column: String, file: String) throws {
        switch (self, data) {
        case (.strings(var s), .strings(let new)):
            self = .strings([])
            s.append(contentsOf: new[rows])
            self = .strings(s)
        case (.floats(var v, let d), .floatVectors(let new, let nd)):
            let dim = try Self.check(d, nd, hasRows: !v.isEmpty, column: column, file: file)
            self = .floats([], dimension: 0)
            v.append(contentsOf: new[(rows.lowerBound * dim)..<(rows.upperBound * dim)])
            self = .floats(v, dimension: dim)
        case (.doubles(var v, let d), .doubleVectors(let new, let nd)):
            let dim = try Self.check(d, nd, hasRows: !v.isEmpty, column: column, file: file)
            self = .doubles([], dimension: 0)
            v.append(contentsOf: new[(rows.lowerBound * dim)..<(rows.upperBound * dim)])
            self = .doubles(v, dimension: dim)
        default:
            throw ParquetError(file: file, "column \(column): batch value type does not match the schema")
        }
    }

    /// A row group holds vectors of one dimension; a new dimension may start with the next row group.
    private static func check(_ current: Int, _ new: Int, hasRows: Bool, column: String, file: String) throws -> Int {
        if hasRows && current != new {
            throw ParquetError(file: file, "column \(column): dimension \(new) differs from \(current) within a row group")
        }
        return new
    }

    mutating func removeAll() {
        switch self {
        case .strings(var s): self = .strings([]); s.removeAll(keepingCapacity: true); self = .strings(s)
        case .floats(var v, let d): self = .floats([], dimension: 0); v.removeAll(keepingCapacity: true); self = .floats(v, dimension: d)
        case .doubles(var v, let d): self = .doubles([], dimension: 0); v.removeAll(keepingCapacity: true); self = .doubles(v, dimension: d)
        }
    }
}
