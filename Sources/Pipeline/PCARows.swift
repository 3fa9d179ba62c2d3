import Parquet

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
