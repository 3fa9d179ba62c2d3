/// A typed batch of rows of some table, convertible to column data for `ParquetWriter`.
public protocol ParquetRows: Sendable {
    /// The table's schema.
    static var schema: ParquetSchema { get }
    /// Number of rows in the batch.
    var count: Int { get }
    /// The batch as one entry per schema column.
    var columns: [ParquetColumnData] { get }
}

extension ParquetWriter {
    /// Appends a typed batch; its table's schema must be the writer's.
    public func append<R: ParquetRows>(_ rows: R) throws {
        guard R.schema == schema else {
            throw ParquetError(file: url.path, "\(R.self) rows do not match the file's schema")
        }
        try append(rows.columns)
    }
}
