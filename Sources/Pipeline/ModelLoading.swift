import Foundation
import Model
import Storage

/// Resolves `--weights` (with `--alpha`/`--size`) to a folded model; `imagenet` weights that are in
/// none of the usual places are downloaded once into the cache.
enum ModelLoading {
    static let officialBase = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"

    static func load(weights: String, alpha: Double?, inputSize: Int?, storage: StorageConfig = .fromEnvironment()) throws
        -> FoldedMobileNetV2 {
        let source = try WeightsSource(parsing: weights)
        do {
            return try loadModel(source, alpha: alpha, inputSize: inputSize)
        } catch ModelError.weightsNotFound(let message) where source == .imagenet
                    && (ProcessInfo.processInfo.environment["IMGFEAT_WEIGHTS"] ?? "").isEmpty {
            return try downloadImagenet(alpha: alpha ?? 1.0, inputSize: inputSize ?? 224, notFound: message, storage: storage)
        }
    }

    /// Downloads the official include-top file (temporary name, then rename, inside `download`) into the
    /// imgfeat cache, and loads it; a file that does not load as MobileNetV2 weights is removed again.
    private static func downloadImagenet(alpha: Double, inputSize: Int, notFound: String, storage: StorageConfig) throws
        -> FoldedMobileNetV2 {
        let fileSize = MobileNetV2Config.imagenetSizes.contains(inputSize) ? inputSize : 224
        let name = WeightsSource.imagenetFileName(alpha: alpha, size: fileSize)
        guard let cache = WeightsSource.imagenetSearchFolders().first else { throw ModelError.weightsNotFound(notFound) }
        let path = cache + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            try Downloader(config: storage).download(url: officialBase + name, to: path)
        } catch {
            throw PipelineError("\(notFound); downloading \(officialBase + name) failed too: \(error)")
        }
        do {
            return try loadModel(.file(path), alpha: alpha, inputSize: inputSize)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw PipelineError("\(officialBase + name): the downloaded file is not usable MobileNetV2 weights (\(error)); removed it")
        }
    }
}
