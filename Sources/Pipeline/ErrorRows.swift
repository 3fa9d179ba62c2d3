import Parquet

/// Rows of the errors table: `path, stage, message`.
public struct ErrorRows: ParquetRows {
    public var paths: [String]
    public var stages: [String]
    public var messages: [String]
    /// Makes a batch of error rows.
    public init(paths: [String], stages: [String], messages: [String]) {
        self.paths = paths
        self.stages = stages
        self.messages = messages
    }
    public static var schema: ParquetSchema { .errors }
    public var count: Int { paths.count }
    public var columns: [ParquetColumnData] { [.strings(paths), .strings(stages), .strings(messages)] }
}
