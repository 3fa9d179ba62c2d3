/// A batch of rows for one of imgfeat's tables, convertible to column data for `ParquetWriter`.
public protocol ParquetRows: Sendable {
    /// The table's schema.
    static var schema: ParquetSchema { get }
    /// Number of rows in the batch.
    var count: Int { get }
    /// The batch as one entry per schema column.
    var columns: [ParquetColumnData] { get }
}

/// Rows of the features table: `path, label, features: list<float>`.
public struct FeatureRows: ParquetRows {
    public var paths: [String]
    public var labels: [String]
    /// Row-major, `count × dimension`.
    public var values: [Float]
    public var dimension: Int
    /// Makes a batch; `values` holds `paths.count × dimension` floats.
    public init(paths: [String], labels: [String], values: [Float], dimension: Int) {
        self.paths = paths
        self.labels = labels
        self.values = values
        self.dimension = dimension
    }
    public static var schema: ParquetSchema { .features }
    public var count: Int { paths.count }
    public var columns: [ParquetColumnData] {
        [.strings(paths), .strings(labels), .floatVectors(values, dimension: dimension)]
    }
}

/// Rows of the PCA table: `path, label, pca_features: list<double>`.
public struct PCARows: ParquetRows {
    public var paths: [String]
    public var labels: [String]
    /// Row-major, `count × dimension`.
    public var values: [Double]
    public var dimension: Int
    /// Makes a batch; `values` holds `paths.count × dimension` doubles.
    public init(paths: [String], labels: [String], values: [Double], dimension: Int) {
        self.paths = paths
        self.labels = labels
        self.values = values
        self.dimension = dimension
    }
    public static var schema: ParquetSchema { .pca }
    public var count: Int { paths.count }
    public var columns: [ParquetColumnData] {
        [.strings(paths), .strings(labels), .doubleVectors(values, dimension: dimension)]
    }
}

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

extension ParquetWriter {
    /// Appends a typed batch; its table's schema must be the writer's.
    public func append<R: ParquetRows>(_ rows: R) throws {
        guard R.schema == schema else {
            throw ParquetError(file: url.path, "\(R.self) rows do not match the file's schema")
        }
        try append(rows.columns)
    }
}
