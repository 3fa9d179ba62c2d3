import Foundation
import Model
import Storage

/// Resolves `--weights` (with `--alpha`/`--size`) to a folded model; `imagenet` weights that are in
/// none of the usual places are downloaded once into the cache, unless the search is offline.
enum ModelLoading {
    static func load(_ options: RunOptions) throws -> FoldedMobileNetV2 {
        let source = try WeightsSource(parsing: options.weights)
        let search = options.weightsSearch
        do {
            return try loadModel(source, alpha: options.alpha, inputSize: options.inputSize, search: search)
        } catch let error as ModelError {
            // Not in the usual places and not named by $IMGFEAT_WEIGHTS: download it into the cache.
            guard case .weightsNotFound(explicitFile: nil, _, _) = error, source == .imagenet else {
                throw withFlagHint(error)
            }
            return try downloadImagenet(alpha: options.alpha ?? 1.0, inputSize: options.inputSize ?? 224,
                                        notFound: error, storage: options.storage, search: search).model
        }
    }

    /// The official file for `alpha` and `size`: the cached one when the search finds it, else
    /// downloaded into the cache (`imgfeat weights fetch`). Returns its path and whether it was fetched now.
    static func fetch(alpha: Double, inputSize: Int, storage: StorageConfig, search: WeightsSearch) throws
        -> (path: String, downloaded: Bool, model: FoldedMobileNetV2) {
        let path: String
        do {
            path = try WeightsSource.resolveImagenet(alpha: alpha, size: inputSize, search: search)
        } catch let error as ModelError {
            guard case .weightsNotFound = error else { throw withFlagHint(error) }
            var online = search
            online.offline = false
            let fetched = try downloadImagenet(alpha: alpha, inputSize: inputSize, notFound: error, storage: storage,
                                               search: online)
            return (fetched.path, true, fetched.model)
        }
        return (path, false, try loadModel(.file(path), alpha: alpha, inputSize: inputSize, search: search))
    }

    /// `error` with the command-line option that gets past it, where there is one: Model names no
    /// CLI flags, so the wording is Pipeline's.
    static func withFlagHint(_ error: ModelError) -> Error {
        switch error {
        case .weightsNotFound(explicitFile: nil, _, _): return PipelineError("\(error); pass --weights FILE")
        case .alphaNotInferred: return PipelineError("\(error); pass --alpha")
        default: return error
        }
    }

    /// Downloads the official include-top file (temporary name, then rename, inside `download`) into the
    /// imgfeat cache, and loads it; a file that does not load as MobileNetV2 weights is removed again.
    private static func downloadImagenet(alpha: Double, inputSize: Int, notFound: ModelError, storage: StorageConfig,
                                         search: WeightsSearch) throws -> (path: String, model: FoldedMobileNetV2) {
        let fileSize = MobileNetV2Config.imagenetSizes.contains(inputSize) ? inputSize : 224
        let name = WeightsSource.imagenetFileName(alpha: alpha, size: fileSize)
        guard let cache = search.folders.first else { throw withFlagHint(notFound) }
        let url = search.downloadBase + name
        guard !search.offline else {
            throw PipelineError("\(notFound); offline (--offline or IMGFEAT_OFFLINE=1), so \(url) was not downloaded: "
                                + "run `imgfeat weights fetch --alpha \(alpha) --size \(fileSize)` where the network is "
                                + "reachable and copy \(cache)/\(name) here, or pass --weights FILE")
        }
        let path = cache + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            try Downloader(config: storage).download(url: url, to: path)
        } catch {
            throw PipelineError("\(notFound); downloading \(url) failed too (\(error)); pass --weights FILE")
        }
        do {
            return (path, try loadModel(.file(path), alpha: alpha, inputSize: inputSize, search: search))
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw PipelineError("\(url): the downloaded file is not usable MobileNetV2 weights (\(error)); removed it")
        }
    }
}
