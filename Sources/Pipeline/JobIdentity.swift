import Model

/// What a command in an output folder was asked to do. A finished output is "done" only for the same
/// job; the same featurization with another `--k`/`--center` is refitted from the stored statistics;
/// anything else is refused (another OUT, or `--overwrite`).
struct JobIdentity: Codable, Equatable {
    /// `run` or `featurize`: their layouts differ and must never mix in one folder.
    var command: String
    var input: String
    var shard: String
    /// `random:SEED`, or the weights file's name and SHA-256.
    var weights: String
    var alpha: Double
    var inputSize: Int
    /// JPEG draft mode (`--draft`: other pixels than a full decode); nil reads as off.
    var draft: Bool?
    /// The PCA of `run`; nil for `featurize`.
    var k: Int?
    var center: Bool?

    /// What differs from `current` in the featurization itself (everything but `k` and `center`), in
    /// words, or empty.
    func featurizationDifferences(from current: JobIdentity) -> [String] {
        var out: [String] = []
        if command != current.command { out.append("it was written by imgfeat \(command), not \(current.command)") }
        if input != current.input { out.append("its input is \(input), not \(current.input)") }
        if shard != current.shard { out.append("its shard is \(shard), not \(current.shard)") }
        if weights != current.weights { out.append("its weights are \(weights), not \(current.weights)") }
        if alpha != current.alpha { out.append("its alpha is \(alpha), not \(current.alpha)") }
        if inputSize != current.inputSize { out.append("its size is \(inputSize), not \(current.inputSize)") }
        if (draft ?? false) != (current.draft ?? false) {
            out.append(draft ?? false ? "it was decoded with --draft" : "it was decoded in full, without --draft")
        }
        return out
    }

    /// Whether only the PCA settings differ from `current`.
    func samePCA(as current: JobIdentity) -> Bool { k == current.k && center == current.center }

    /// The PCA settings in words, e.g. `--k 8 --center`.
    var pcaDescription: String {
        guard let k else { return "no PCA" }
        return "--k \(k)" + (center == true ? " --center" : "")
    }
}

extension JobIdentity {
    init(command: String, options: RunOptions, model: FoldedMobileNetV2, pca: PCAOptions?) {
        self.init(command: command, input: options.input, shard: options.shard.description,
                  weights: model.weightsIdentity, alpha: model.config.alpha, inputSize: model.config.inputSize,
                  draft: options.draft, k: pca?.k, center: pca?.center)
    }
}
