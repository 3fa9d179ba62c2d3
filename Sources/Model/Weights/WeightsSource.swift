import Foundation

/// Where a model's weights come from: the official ImageNet file, a Keras weights file, or seeded random values.
public enum WeightsSource: Sendable, Hashable, CustomStringConvertible {
    case imagenet
    case file(String)
    case random(seed: UInt64)

    /// Parses "imagenet", "random:SEED", or anything else as a path.
    public init(parsing text: String) throws {
        if text == "imagenet" {
            self = .imagenet
        } else if text.hasPrefix("random:") {
            guard let seed = UInt64(text.dropFirst("random:".count)) else {
                throw ModelError.invalidConfig("weights \"\(text)\": random:SEED needs a non-negative integer seed")
            }
            self = .random(seed: seed)
        } else if text.isEmpty {
            throw ModelError.invalidConfig("empty weights argument: use imagenet, a file path, or random:SEED")
        } else {
            self = .file(text)
        }
    }

    public var description: String {
        switch self {
        case .imagenet: return "imagenet"
        case .file(let path): return path
        case .random(let seed): return "random:\(seed)"
        }
    }

    /// Official Keras file name for `alpha` and `size`: mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{size}[_no_top].h5.
    public static func imagenetFileName(alpha: Double, size: Int, includeTop: Bool = true) -> String {
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_\(MobileNetV2Config.format(alpha: alpha))_\(size)\(includeTop ? "" : "_no_top").h5"
    }

    /// Folders searched for ImageNet weights, in order, given the environment the edge read.
    public static func imagenetSearchFolders(environment: [String: String]) -> [String] {
        WeightsSearch(environment: environment).folders
    }

    /// `resolveImagenet(alpha:size:search:)` with the search of `environment`.
    public static func resolveImagenet(alpha: Double, size: Int, environment: [String: String]) throws -> String {
        try resolveImagenet(alpha: alpha, size: size, search: WeightsSearch(environment: environment))
    }

    /// The local ImageNet weights file for (alpha, size): `search.explicitFile`, else the first of the
    /// include-top and no-top official names found in `search.folders`. Keras uses the 224 file for
    /// sizes it has no file for; so does this.
    public static func resolveImagenet(alpha: Double, size: Int, search: WeightsSearch) throws -> String {
        let fileSize = MobileNetV2Config.imagenetSizes.contains(size) ? size : 224
        let names = [true, false].map { imagenetFileName(alpha: alpha, size: fileSize, includeTop: $0) }
        if let explicit = search.explicitFile {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw ModelError.weightsNotFound(explicitFile: explicit, fileName: names[0], folders: [])
            }
            return explicit
        }
        guard MobileNetV2Config.imagenetAlphas.contains(alpha) else {
            throw ModelError.invalidConfig(
                "no ImageNet weights for alpha \(MobileNetV2Config.format(alpha: alpha)); Keras publishes \(MobileNetV2Config.imagenetAlphas.map { MobileNetV2Config.format(alpha: $0) }.joined(separator: ", "))")
        }
        let folders = search.folders
        for folder in folders {
            for name in names where FileManager.default.fileExists(atPath: folder + "/" + name) {
                return folder + "/" + name
            }
        }
        throw ModelError.weightsNotFound(explicitFile: nil, fileName: names[0], folders: folders)
    }

    /// Input size written in an official file name ("..._0.35_96_no_top.h5" → 96), if any.
    static func sizeFromFileName(_ path: String) -> Int? {
        var stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard stem.hasPrefix("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_") else { return nil }
        if stem.hasSuffix("_no_top") { stem.removeLast("_no_top".count) }
        return stem.split(separator: "_").last.flatMap { Int($0) }
    }
}

/// Loads MobileNetV2 weights from `source`. A nil alpha means: what the file implies (1.0 for imagenet and
/// random); a nil input size: the size in an official file name, else 224.
/// `search` says where `imagenet` weights are looked for.
public func loadModel(_ source: WeightsSource, alpha: Double?, inputSize: Int?,
                      search: WeightsSearch = WeightsSearch(environment: [:])) throws -> FoldedMobileNetV2 {
    switch source {
    case .random(let seed):
        let config = MobileNetV2Config(alpha: alpha ?? 1.0, inputSize: inputSize ?? 224)
        try config.validate()
        return FoldedMobileNetV2.random(config: config, seed: seed)
    case .file(let path):
        let size = inputSize ?? WeightsSource.sizeFromFileName(path) ?? 224
        return try KerasWeightsLoader.load(path: path, alpha: alpha, inputSize: size)
    case .imagenet:
        let resolvedAlpha = alpha ?? 1.0
        let size = inputSize ?? 224
        let path = try WeightsSource.resolveImagenet(alpha: resolvedAlpha, size: size, search: search)
        return try KerasWeightsLoader.load(path: path, alpha: resolvedAlpha, inputSize: size)
    }
}
