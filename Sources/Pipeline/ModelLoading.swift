import Model

/// Resolves `--weights` (with `--alpha`/`--size`) to a folded model.
enum ModelLoading {
    static func load(weights: String, alpha: Double?, inputSize: Int?) throws -> FoldedMobileNetV2 {
        try loadModel(try WeightsSource(parsing: weights), alpha: alpha, inputSize: inputSize)
    }
}
