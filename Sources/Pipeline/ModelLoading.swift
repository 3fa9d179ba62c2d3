import Model

/// Resolves `--weights` (with `--alpha`/`--size`) to a folded model.
enum ModelLoading {
    static func load(weights: String, alpha: Double?, inputSize: Int?) throws -> FoldedMobileNetV2 {
        if weights.hasPrefix("random:") {
            guard let seed = UInt64(weights.dropFirst("random:".count)) else {
                throw PipelineError("--weights \(weights): expected random:SEED with a whole number SEED")
            }
            return FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: alpha ?? 1.0, inputSize: inputSize ?? 224), seed: seed)
        }
        throw PipelineError("--weights \(weights): Keras weight files are not loadable in this build yet")
    }
}
