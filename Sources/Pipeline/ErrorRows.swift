import Parquet

/// Rows of the errors table: `path, label, stage, message`.
public struct ErrorRows: ParquetRows {
    public var paths: [String]
    public var labels: [String]
    public var stages: [String]
    public var messages: [String]
    /// Makes a batch of error rows.
    public init(paths: [String], labels: [String], stages: [String], messages: [String]) {
        self.paths = paths
        self.labels = labels
        self.stages = stages
        self.messages = messages
    }
    /// The table of `rows`.
    public init(_ rows: [ErrorRow]) {
        self.init(paths: rows.map(\.path), labels: rows.map(\.label), stages: rows.map(\.stage),
                  messages: rows.map(\.message))
    }
    public static var schema: ParquetSchema { .errors }
    public var count: Int { paths.count }
    public var columns: [ParquetColumnData] { [.strings(paths), .strings(labels), .strings(stages), .strings(messages)] }
}
