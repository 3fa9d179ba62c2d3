import Foundation

/// Where `--weights imagenet` looks for the official Keras file: an explicit file, else folders in order.
public struct WeightsSearch: Sendable, Equatable {
    /// `$IMGFEAT_WEIGHTS`: used as it is, nothing else is searched and nothing downloaded.
    public var explicitFile: String?
    /// The imgfeat cache (where a download goes, first), then Keras' own cache.
    public var folders: [String]

    /// A search of `folders` after `explicitFile`.
    public init(explicitFile: String? = nil, folders: [String]) {
        self.explicitFile = explicitFile
        self.folders = folders
    }

    /// The search an environment implies: IMGFEAT_WEIGHTS, then `${XDG_CACHE_HOME:-$HOME/.cache}/imgfeat`
    /// and `${KERAS_HOME:-$HOME/.keras}/models`. The edge (CLI, tests) reads the environment and hands it here.
    public init(environment: [String: String]) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.cache"
        let keras = environment["KERAS_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.keras"
        self.init(explicitFile: environment["IMGFEAT_WEIGHTS"].flatMap { $0.isEmpty ? nil : $0 },
                  folders: [cache + "/imgfeat", keras + "/models"])
    }
}
