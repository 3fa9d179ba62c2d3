import Parquet

/// imgfeat's three tables (README, "What `run` writes").
extension ParquetSchema {
    /// `path, label, features: list<float>`: the featurize output.
    public static let features = ParquetSchema([.init("path", .string), .init("label", .string),
                                                .init("features", .floatList)])
    /// `path, label, pca_features: list<double>`: the PCA projections.
    public static let pca = ParquetSchema([.init("path", .string), .init("label", .string),
                                           .init("pca_features", .doubleList)])
    /// `path, stage, message`: one row per input that could not be used.
    public static let errors = ParquetSchema([.init("path", .string), .init("stage", .string),
                                              .init("message", .string)])
}
