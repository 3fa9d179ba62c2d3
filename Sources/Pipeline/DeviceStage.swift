import Model

/// The device stage: an engine, fed the kind of input it asks for, its features passed on to an
/// observer (the PCA statistics) and returned for the writer. Batches go in with `submit` and come back,
/// in order, from `submit` or `flush`, so an engine with work in flight (Vulkan) keeps the device busy
/// between batches.
final class DeviceStage {
    let engine: FeatureEngine
    /// The choice `--device auto` made, and why, for the user.
    let choiceNote: String?
    /// Batches submitted and not yet returned, oldest first, with their features once known.
    private var waiting: [(tag: Int, batch: PreparedBatch, features: [Float]?)] = []
    private var nextTag = 0

    init(engine: FeatureEngine, choiceNote: String? = nil) {
        self.engine = engine
        self.choiceNote = choiceNote
    }

    var name: String { engine.name }
    /// Whether the decode stage hands over decoded pixels (the engine resizes) or the preprocessed tensor.
    var takesPixels: Bool { engine.inputKind == .pixels }
    /// The Vulkan engine, when that is what runs.
    var vulkan: VulkanEngine? { engine as? VulkanEngine }
    /// Images per batch when the user gave no `--batch`: the Vulkan engine's own choice for its device
    /// (`VulkanBatchRule`), else 64.
    var defaultBatch: Int { vulkan?.batchSize ?? 64 }

    /// Starts `batch` (a batch with no decoded image skips the engine but keeps its place) and returns
    /// the batches finished so far with their features, in the order they were submitted.
    func submit(_ batch: PreparedBatch, observer: (any FeatureBatchObserver)?) throws -> [(PreparedBatch, [Float])] {
        nextTag += 1
        waiting.append((nextTag, batch, batch.items.isEmpty ? [] : nil))
        if !batch.items.isEmpty {
            try take(reporting: batch) { try engine.submit(input(of: batch), tag: nextTag, observer: observer) }
        }
        return ready()
    }

    /// Waits for the engine's batches in flight; returns every batch left, in order.
    func flush() throws -> [(PreparedBatch, [Float])] {
        try take(reporting: waiting.first { $0.features == nil }?.batch) { try engine.flush() }
        return ready()
    }

    private func input(of batch: PreparedBatch) -> EngineBatch {
        let size = engine.model.config.inputSize
        return takesPixels ? .pixels(batch.images)
            : .tensor(Tensor(batch: batch.items.count, height: size, width: size, channels: 3, data: batch.tensorData))
    }

    /// Files the features `body` returns under their batches; an engine error names the oldest batch in flight.
    private func take(reporting fallback: PreparedBatch?, _ body: () throws -> [EngineCompletion]) throws {
        let done: [EngineCompletion]
        do { done = try body() } catch {
            let batch = waiting.first { $0.features == nil }?.batch ?? fallback
            throw PipelineError("\(engine.name) engine failed on a batch starting at \(batch?.items.first?.path ?? "?"): \(error)")
        }
        for completion in done {
            if let i = waiting.firstIndex(where: { $0.tag == completion.tag }) { waiting[i].features = completion.features }
        }
    }

    private func ready() -> [(PreparedBatch, [Float])] {
        var result: [(PreparedBatch, [Float])] = []
        while let first = waiting.first, let features = first.features {
            waiting.removeFirst()
            result.append((first.batch, features))
        }
        return result
    }
}
