import Model
import Storage

/// What imgfeat takes from the process environment. The edge (the CLI, the tests, the bench tools)
/// reads the environment once and builds this; everything below gets plain values from it.
public struct EnvironmentSettings: Sendable {
    /// AWS_* and IMGFEAT_S3_* (docs/STORAGE.md).
    public var storage: StorageConfig
    /// IMGFEAT_WEIGHTS, XDG_CACHE_HOME, KERAS_HOME, HOME: where `--weights imagenet` looks.
    public var weightsSearch: WeightsSearch
    /// IMGFEAT_VULKAN_VALIDATION=1: the Khronos validation layer on every Vulkan context.
    public var vulkanValidation: Bool
    /// IMGFEAT_VULKAN_HEAD_POOL=fused|separate: how the Vulkan engine runs the head (fused by default).
    public var headPool: HeadPool.Mode

    /// The settings `environment` implies; an empty one gives the defaults.
    public init(environment: [String: String]) {
        storage = .fromEnvironment(environment)
        weightsSearch = WeightsSearch(environment: environment)
        vulkanValidation = environment["IMGFEAT_VULKAN_VALIDATION"] == "1"
        headPool = environment["IMGFEAT_VULKAN_HEAD_POOL"].flatMap(HeadPool.Mode.init(rawValue:)) ?? .fused
    }
}
