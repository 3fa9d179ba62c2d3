import Foundation
import Model
import Storage

/// Resolves `--weights` (with `--alpha`/`--size`) to a folded model; `imagenet` weights that are in
/// none of the usual places are downloaded once into the cache.
enum ModelLoading {
    static let officialBase = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"

    static func load(_ options: RunOptions) throws -> FoldedMobileNetV2 {
        let source = try WeightsSource(parsing: options.weights)
        let search = options.weightsSearch
        do {
            return try loadModel(source, alpha: options.alpha, inputSize: options.inputSize, search: search)
        } catch ModelError.weightsNotFound(let message) where source == .imagenet && search.explicitFile == nil {
            return try downloadImagenet(alpha: options.alpha ?? 1.0, inputSize: options.inputSize ?? 224,
                                        notFound: message, storage: options.storage, search: search)
        }
    }

    /// Downloads the official include-top file (temporary name, then rename, inside `download`) into the
    /// imgfeat cache, and loads it; a file that does not load as MobileNetV2 weights is removed again.
    private static func downloadImagenet(alpha: Double, inputSize: Int, notFound: String, storage: StorageConfig,
                                         search: WeightsSearch) throws
        -> FoldedMobileNetV2 {
        let fileSize = MobileNetV2Config.imagenetSizes.contains(inputSize) ? inputSize : 224
        let name = WeightsSource.imagenetFileName(alpha: alpha, size: fileSize)
        guard let cache = search.folders.first else { throw ModelError.weightsNotFound(notFound) }
        let path = cache + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            try Downloader(config: storage).download(url: officialBase + name, to: path)
        } catch {
            throw PipelineError("\(notFound); downloading \(officialBase + name) failed too: \(error)")
        }
        do {
            return try loadModel(.file(path), alpha: alpha, inputSize: inputSize, search: search)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw PipelineError("\(officialBase + name): the downloaded file is not usable MobileNetV2 weights (\(error)); removed it")
        }
    }
}
