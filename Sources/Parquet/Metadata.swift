// The parts of parquet.thrift (apache/parquet-format) that imgfeat writes and reads. Field ids are
// those of the spec; fields we do not use are skipped when reading and never written.

enum PhysicalType: Int32 {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5
    case byteArray = 6, fixedLenByteArray = 7
}

enum Repetition: Int32 { case required = 0, optional = 1, repeated = 2 }

enum Encoding: Int32 {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
    case deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9
}

enum PageType: Int32 { case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3 }

/// ConvertedType values used here.
enum Converted {
    static let utf8: Int32 = 0
    static let list: Int32 = 3
}

struct SchemaElement {
    var type: Int32?
    var typeLength: Int32?
    var repetition: Int32?
    var name: String = ""
    var numChildren: Int32?
    var convertedType: Int32?
    /// Field id in the LogicalType union (1 STRING, 3 LIST, ...), nil when absent.
    var logicalType: Int16?
}

struct Statistics {
    var nullCount: Int64?
    var minValue: [UInt8]?
    var maxValue: [UInt8]?
}

struct ColumnMetaData {
    var type: Int32 = 0
    var encodings: [Int32] = []
    var pathInSchema: [String] = []
    var codec: Int32 = 0
    var numValues: Int64 = 0
    var totalUncompressedSize: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = 0
    var dictionaryPageOffset: Int64?
    var statistics: Statistics?
}

struct RowGroupMeta {
    var columns: [ColumnMetaData] = []
    var totalByteSize: Int64 = 0
    var numRows: Int64 = 0
}

struct FileMetaData {
    var version: Int32 = 1
    var schema: [SchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [RowGroupMeta] = []
    var keyValues: [(String, String?)] = []
    var createdBy: String?
}

struct DataPageHeader {
    var numValues: Int32 = 0
    var encoding: Int32 = 0
    var definitionLevelEncoding: Int32 = 3
    var repetitionLevelEncoding: Int32 = 3
}

struct DataPageHeaderV2 {
    var numValues: Int32 = 0
    var numNulls: Int32 = 0
    var numRows: Int32 = 0
    var encoding: Int32 = 0
    var definitionLevelsByteLength: Int32 = 0
    var repetitionLevelsByteLength: Int32 = 0
    var isCompressed = true
}

struct DictionaryPageHeader {
    var numValues: Int32 = 0
    var encoding: Int32 = 0
}

struct PageHeader {
    var type: Int32 = 0
    var uncompressedPageSize: Int32 = 0
    var compressedPageSize: Int32 = 0
    var dataPage: DataPageHeader?
    var dictionaryPage: DictionaryPageHeader?
    var dataPageV2: DataPageHeaderV2?
}

// MARK: - Writing

extension CompactWriter {
    mutating func statistics(_ id: Int16, _ s: Statistics) {
        structField(id) { w in
            if let n = s.nullCount { w.i64(3, n) }
            if let v = s.maxValue { w.binary(5, v) }
            if let v = s.minValue { w.binary(6, v) }
        }
    }

    mutating func fileMetaData(_ m: FileMetaData) {
        structBody { w in
            w.i32(1, m.version)
            w.listHeader(2, .structure, count: m.schema.count)
            for e in m.schema { w.structBody { w in w.schemaElement(e) } }
            w.i64(3, m.numRows)
            w.listHeader(4, .structure, count: m.rowGroups.count)
            for g in m.rowGroups { w.structBody { w in w.rowGroup(g) } }
            if !m.keyValues.isEmpty {
                w.listHeader(5, .structure, count: m.keyValues.count)
                for (k, v) in m.keyValues {
                    w.structBody { w in
                        w.string(1, k)
                        if let v { w.string(2, v) }
                    }
                }
            }
            if let c = m.createdBy { w.string(6, c) }
            // column_orders: TYPE_ORDER for every leaf, so readers trust min_value/max_value.
            let leaves = m.schema.filter { $0.numChildren == nil }.count
            w.listHeader(7, .structure, count: leaves)
            for _ in 0..<leaves { w.structBody { w in w.structField(1) { _ in } } }
        }
    }

    mutating func schemaElement(_ e: SchemaElement) {
        if let t = e.type { i32(1, t) }
        if let t = e.typeLength { i32(2, t) }
        if let r = e.repetition { i32(3, r) }
        string(4, e.name)
        if let n = e.numChildren { i32(5, n) }
        if let c = e.convertedType { i32(6, c) }
        if let l = e.logicalType { structField(10) { w in w.structField(l) { _ in } } }
    }

    mutating func rowGroup(_ g: RowGroupMeta) {
        listHeader(1, .structure, count: g.columns.count)
        for c in g.columns {
            structBody { w in
                w.i64(2, c.dictionaryPageOffset ?? c.dataPageOffset)
                w.structField(3) { w in w.columnMetaData(c) }
            }
        }
        i64(2, g.totalByteSize)
        i64(3, g.numRows)
        if let first = g.columns.first {
            i64(5, first.dictionaryPageOffset ?? first.dataPageOffset)
            i64(6, g.columns.reduce(0) { $0 + $1.totalCompressedSize })
        }
    }

    mutating func columnMetaData(_ c: ColumnMetaData) {
        i32(1, c.type)
        i32List(2, c.encodings)
        stringList(3, c.pathInSchema)
        i32(4, c.codec)
        i64(5, c.numValues)
        i64(6, c.totalUncompressedSize)
        i64(7, c.totalCompressedSize)
        i64(9, c.dataPageOffset)
        if let d = c.dictionaryPageOffset { i64(11, d) }
        if let s = c.statistics { statistics(12, s) }
    }

    mutating func pageHeader(_ h: PageHeader) {
        structBody { w in
            w.i32(1, h.type)
            w.i32(2, h.uncompressedPageSize)
            w.i32(3, h.compressedPageSize)
            if let d = h.dataPage {
                w.structField(5) { w in
                    w.i32(1, d.numValues)
                    w.i32(2, d.encoding)
                    w.i32(3, d.definitionLevelEncoding)
                    w.i32(4, d.repetitionLevelEncoding)
                }
            }
            if let d = h.dictionaryPage {
                w.structField(7) { w in
                    w.i32(1, d.numValues)
                    w.i32(2, d.encoding)
                }
            }
            if let d = h.dataPageV2 {
                w.structField(8) { w in
                    w.i32(1, d.numValues)
                    w.i32(2, d.numNulls)
                    w.i32(3, d.numRows)
                    w.i32(4, d.encoding)
                    w.i32(5, d.definitionLevelsByteLength)
                    w.i32(6, d.repetitionLevelsByteLength)
                    w.bool(7, d.isCompressed)
                }
            }
        }
    }
}

// MARK: - Reading

extension CompactReader {
    private func expect(_ type: UInt8, _ want: CompactType, _ what: String) throws {
        let ok = type == want.rawValue
            || (want == .boolTrue && type == CompactType.boolFalse.rawValue)
        guard ok else { throw FormatError("Thrift field \(what) has type \(type), expected \(want.rawValue)") }
    }

    mutating func i32Field(_ t: UInt8, _ what: String) throws -> Int32 {
        try expect(t, .i32, what)
        return try i32()
    }

    mutating func i64Field(_ t: UInt8, _ what: String) throws -> Int64 {
        try expect(t, .i64, what)
        return try zigzag()
    }

    mutating func binaryField(_ t: UInt8, _ what: String) throws -> [UInt8] {
        try expect(t, .binary, what)
        return try binary()
    }

    mutating func statistics(_ t: UInt8) throws -> Statistics {
        try expect(t, .structure, "statistics")
        var s = Statistics()
        var legacyMin: [UInt8]?, legacyMax: [UInt8]?
        try readStruct { r, id, t in
            switch id {
            case 1: legacyMax = try r.binaryField(t, "max")
            case 2: legacyMin = try r.binaryField(t, "min")
            case 3: s.nullCount = try r.i64Field(t, "null_count")
            case 5: s.maxValue = try r.binaryField(t, "max_value")
            case 6: s.minValue = try r.binaryField(t, "min_value")
            default: try r.skip(t)
            }
        }
        if s.minValue == nil { s.minValue = legacyMin }
        if s.maxValue == nil { s.maxValue = legacyMax }
        return s
    }

    mutating func fileMetaData() throws -> FileMetaData {
        var m = FileMetaData()
        try readStruct { r, id, t in
            switch id {
            case 1: m.version = try r.i32Field(t, "version")
            case 2:
                try r.expect(t, .list, "schema")
                m.schema = try r.list(of: .structure) { r in try r.schemaElement() }
            case 3: m.numRows = try r.i64Field(t, "num_rows")
            case 4:
                try r.expect(t, .list, "row_groups")
                m.rowGroups = try r.list(of: .structure) { r in try r.rowGroup() }
            case 5:
                try r.expect(t, .list, "key_value_metadata")
                m.keyValues = try r.list(of: .structure) { r in
                    var k = "", v: String?
                    try r.readStruct { r, id, t in
                        switch id {
                        case 1: k = String(decoding: try r.binaryField(t, "key"), as: UTF8.self)
                        case 2: v = String(decoding: try r.binaryField(t, "value"), as: UTF8.self)
                        default: try r.skip(t)
                        }
                    }
                    return (k, v)
                }
            case 6: m.createdBy = String(decoding: try r.binaryField(t, "created_by"), as: UTF8.self)
            default: try r.skip(t)
            }
        }
        return m
    }

    mutating func schemaElement() throws -> SchemaElement {
        var e = SchemaElement()
        try readStruct { r, id, t in
            switch id {
            case 1: e.type = try r.i32Field(t, "type")
            case 2: e.typeLength = try r.i32Field(t, "type_length")
            case 3: e.repetition = try r.i32Field(t, "repetition_type")
            case 4: e.name = String(decoding: try r.binaryField(t, "name"), as: UTF8.self)
            case 5: e.numChildren = try r.i32Field(t, "num_children")
            case 6: e.convertedType = try r.i32Field(t, "converted_type")
            case 10:
                try r.expect(t, .structure, "logicalType")
                try r.readStruct { r, id, t in
                    e.logicalType = id
                    try r.skip(t)
                }
            default: try r.skip(t)
            }
        }
        return e
    }

    mutating func rowGroup() throws -> RowGroupMeta {
        var g = RowGroupMeta()
        try readStruct { r, id, t in
            switch id {
            case 1:
                try r.expect(t, .list, "columns")
                g.columns = try r.list(of: .structure) { r in
                    var meta: ColumnMetaData?
                    try r.readStruct { r, id, t in
                        switch id {
                        case 3:
                            try r.expect(t, .structure, "meta_data")
                            meta = try r.columnMetaData()
                        default: try r.skip(t)
                        }
                    }
                    guard let meta else { throw FormatError("column chunk without meta_data (external or encrypted)") }
                    return meta
                }
            case 2: g.totalByteSize = try r.i64Field(t, "total_byte_size")
            case 3: g.numRows = try r.i64Field(t, "num_rows")
            default: try r.skip(t)
            }
        }
        return g
    }

    mutating func columnMetaData() throws -> ColumnMetaData {
        var c = ColumnMetaData()
        try readStruct { r, id, t in
            switch id {
            case 1: c.type = try r.i32Field(t, "type")
            case 2:
                try r.expect(t, .list, "encodings")
                c.encodings = try r.list(of: .i32) { r in try r.i32() }
            case 3:
                try r.expect(t, .list, "path_in_schema")
                c.pathInSchema = try r.list(of: .binary) { r in try r.string() }
            case 4: c.codec = try r.i32Field(t, "codec")
            case 5: c.numValues = try r.i64Field(t, "num_values")
            case 6: c.totalUncompressedSize = try r.i64Field(t, "total_uncompressed_size")
            case 7: c.totalCompressedSize = try r.i64Field(t, "total_compressed_size")
            case 9: c.dataPageOffset = try r.i64Field(t, "data_page_offset")
            case 11: c.dictionaryPageOffset = try r.i64Field(t, "dictionary_page_offset")
            case 12: c.statistics = try r.statistics(t)
            default: try r.skip(t)
            }
        }
        return c
    }

    mutating func pageHeader() throws -> PageHeader {
        var h = PageHeader()
        try readStruct { r, id, t in
            switch id {
            case 1: h.type = try r.i32Field(t, "page type")
            case 2: h.uncompressedPageSize = try r.i32Field(t, "uncompressed_page_size")
            case 3: h.compressedPageSize = try r.i32Field(t, "compressed_page_size")
            case 5:
                try r.expect(t, .structure, "data_page_header")
                var d = DataPageHeader()
                try r.readStruct { r, id, t in
                    switch id {
                    case 1: d.numValues = try r.i32Field(t, "num_values")
                    case 2: d.encoding = try r.i32Field(t, "encoding")
                    case 3: d.definitionLevelEncoding = try r.i32Field(t, "definition_level_encoding")
                    case 4: d.repetitionLevelEncoding = try r.i32Field(t, "repetition_level_encoding")
                    default: try r.skip(t)
                    }
                }
                h.dataPage = d
            case 7:
                try r.expect(t, .structure, "dictionary_page_header")
                var d = DictionaryPageHeader()
                try r.readStruct { r, id, t in
                    switch id {
                    case 1: d.numValues = try r.i32Field(t, "num_values")
                    case 2: d.encoding = try r.i32Field(t, "encoding")
                    default: try r.skip(t)
                    }
                }
                h.dictionaryPage = d
            case 8:
                try r.expect(t, .structure, "data_page_header_v2")
                var d = DataPageHeaderV2()
                try r.readStruct { r, id, t in
                    switch id {
                    case 1: d.numValues = try r.i32Field(t, "num_values")
                    case 2: d.numNulls = try r.i32Field(t, "num_nulls")
                    case 3: d.numRows = try r.i32Field(t, "num_rows")
                    case 4: d.encoding = try r.i32Field(t, "encoding")
                    case 5: d.definitionLevelsByteLength = try r.i32Field(t, "definition_levels_byte_length")
                    case 6: d.repetitionLevelsByteLength = try r.i32Field(t, "repetition_levels_byte_length")
                    case 7:
                        try r.expect(t, .boolTrue, "is_compressed")
                        d.isCompressed = try r.boolValue(t)
                    default: try r.skip(t)
                    }
                }
                h.dataPageV2 = d
            default: try r.skip(t)
            }
        }
        return h
    }
}
