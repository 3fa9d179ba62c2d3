import Model

/// The device stage: an engine, fed the kind of input it asks for, its features passed on to an
/// observer (the PCA statistics) and returned for the writer.
final class DeviceStage {
    let engine: FeatureEngine
    /// The choice `--device auto` made, and why, for the user.
    let choiceNote: String?

    init(engine: FeatureEngine, choiceNote: String? = nil) {
        self.engine = engine
        self.choiceNote = choiceNote
    }

    var name: String { engine.name }
    /// Whether the decode stage hands over decoded pixels (the engine resizes) or the preprocessed tensor.
    var takesPixels: Bool { engine.inputKind == .pixels }

    func features(of batch: PreparedBatch, observer: (any FeatureBatchObserver)?) throws -> [Float] {
        let size = engine.model.config.inputSize
        let input: EngineBatch = takesPixels ? .pixels(batch.images)
            : .tensor(Tensor(batch: batch.items.count, height: size, width: size, channels: 3, data: batch.tensorData))
        do {
            return try engine.features(input, observer: observer)
        } catch {
            throw PipelineError("\(engine.name) engine failed on a batch starting at \(batch.items.first?.path ?? "?"): \(error)")
        }
    }
}
