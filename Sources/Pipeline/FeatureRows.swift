import Parquet

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
