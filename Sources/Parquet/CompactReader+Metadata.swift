/// Thrift compact decoding of the footer and page headers (parquet.thrift field ids).
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
