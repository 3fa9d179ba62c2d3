/// Which network made a feature table, as its Parquet metadata records it (alpha, input size, weights
/// identity). The engine is left out on purpose: CPU and Vulkan features of one model agree to 1e-4
/// and may be mixed (a Spark job's executors need not share a device).
public struct FeatureModel: Sendable, Equatable, CustomStringConvertible {
    /// The metadata keys that make up the identity.
    public static let keys = ["imgfeat.model.alpha", "imgfeat.model.input_size", "imgfeat.weights"]

    /// Those keys and their values.
    public let fields: [String: String]

    /// The identity recorded in `metadata`; nil for a table that records none (written by another tool).
    public init?(metadata: [String: String]) {
        let fields = metadata.filter { Self.keys.contains($0.key) }
        guard !fields.isEmpty else { return nil }
        self.fields = fields
    }

    /// `alpha 0.35, size 96, weights keras-h5:… sha256:…` (the weights' identity as recorded).
    public var description: String {
        "alpha \(fields["imgfeat.model.alpha"] ?? "?"), size \(fields["imgfeat.model.input_size"] ?? "?"), "
            + "weights \(fields["imgfeat.weights"] ?? "?")"
    }
}
