/// Thrift compact encoding of the footer and page headers (parquet.thrift field ids).
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
