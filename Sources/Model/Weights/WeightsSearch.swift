import Foundation

/// Where `--weights imagenet` looks for the official Keras file: an explicit file, else folders in order.
public struct WeightsSearch: Sendable, Equatable {
    /// `$IMGFEAT_WEIGHTS`: used as it is, nothing else is searched and nothing downloaded.
    public var explicitFile: String?
    /// The imgfeat cache (where a download goes, first), then Keras' own cache.
    public var folders: [String]
    /// No network access for weights (`--offline`, IMGFEAT_OFFLINE=1): a file not found is an error.
    public var offline = false
    /// Where the official files are downloaded from (IMGFEAT_WEIGHTS_URL overrides it, for mirrors).
    public var downloadBase = WeightsSearch.officialBase

    /// The Keras applications bucket that `keras.applications.MobileNetV2(weights="imagenet")` reads.
    public static let officialBase = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"

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
        offline = ["1", "true", "yes"].contains(environment["IMGFEAT_OFFLINE"]?.lowercased() ?? "")
        if let base = environment["IMGFEAT_WEIGHTS_URL"], !base.isEmpty {
            downloadBase = base.hasSuffix("/") ? base : base + "/"
        }
    }
}
