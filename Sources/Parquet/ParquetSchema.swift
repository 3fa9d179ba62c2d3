/// The kind of value a column holds: the types the writer and reader support.
public enum ParquetColumnType: Sendable, Hashable {
    /// A UTF-8 string (`binary (STRING)`).
    case string
    /// A list of float32 in the standard 3-level LIST layout.
    case floatList
    /// A list of float64 in the standard 3-level LIST layout.
    case doubleList
}

/// One column of a table: a name and a type; every row has a value (no nulls).
public struct ParquetColumn: Sendable, Hashable {
    public var name: String
    public var type: ParquetColumnType
    /// Makes a column description.
    public init(_ name: String, _ type: ParquetColumnType) {
        self.name = name
        self.type = type
    }
}

/// The flat schema of a table written by `ParquetWriter`.
public struct ParquetSchema: Sendable, Hashable {
    public var columns: [ParquetColumn]
    /// Makes a schema from its columns, in file order.
    public init(_ columns: [ParquetColumn]) { self.columns = columns }

    /// The flattened thrift schema (root first, depth-first), as written to the footer.
    var elements: [SchemaElement] {
        var out = [SchemaElement(name: "schema", numChildren: Int32(columns.count))]
        for c in columns {
            switch c.type {
            case .string:
                out.append(SchemaElement(type: PhysicalType.byteArray.rawValue,
                                         repetition: Repetition.required.rawValue, name: c.name,
                                         convertedType: Converted.utf8, logicalType: 1))
            case .floatList, .doubleList:
                let leaf = c.type == .floatList ? PhysicalType.float : PhysicalType.double
                out.append(SchemaElement(repetition: Repetition.required.rawValue, name: c.name,
                                         numChildren: 1, convertedType: Converted.list, logicalType: 3))
                out.append(SchemaElement(repetition: Repetition.repeated.rawValue, name: "list", numChildren: 1))
                out.append(SchemaElement(type: leaf.rawValue, repetition: Repetition.required.rawValue,
                                         name: "element"))
            }
        }
        return out
    }

    /// The path of each column's leaf, as in ColumnMetaData.path_in_schema.
    func leafPath(_ c: ParquetColumn) -> [String] {
        c.type == .string ? [c.name] : [c.name, "list", "element"]
    }
}

/// One batch of values for one column; all columns of a batch have the same number of rows.
public enum ParquetColumnData: Sendable {
    case strings([String])
    /// Row-major vectors of `dimension` floats each (`values.count` = rows × dimension).
    case floatVectors([Float], dimension: Int)
    /// Row-major vectors of `dimension` doubles each.
    case doubleVectors([Double], dimension: Int)

    var rowCount: Int {
        switch self {
        case .strings(let s): s.count
        case .floatVectors(let v, let d): d > 0 ? v.count / d : 0
        case .doubleVectors(let v, let d): d > 0 ? v.count / d : 0
        }
    }
}
