import Common
import Foundation
import Model
import Storage

/// What imgfeat takes from the process environment. The edge (the CLI, the tests, the bench tools)
/// reads the environment once and builds this; everything below gets plain values from it.
public struct EnvironmentSettings: Sendable {
    /// AWS_* and IMGFEAT_S3_* (docs/STORAGE.md).
    public var storage: StorageConfig
    /// IMGFEAT_WEIGHTS, XDG_CACHE_HOME, KERAS_HOME, HOME: where `--weights imagenet` looks;
    /// IMGFEAT_OFFLINE=1 (no download), IMGFEAT_WEIGHTS_URL (a mirror of the official files).
    public var weightsSearch: WeightsSearch
    /// IMGFEAT_VULKAN_VALIDATION=1 (the Khronos validation layer on every context), IMGFEAT_VULKAN_LOADER
    /// (the loader to open), `${XDG_CACHE_HOME:-~/.cache}/imgfeat/spirv` (the SPIR-V cache), IMGFEAT_SHADERS
    /// (a folder of GLSL sources to use instead of the bundled ones).
    public var vulkan: VulkanSetup
    /// IMGFEAT_VULKAN_HEAD_POOL=fused|separate: how the Vulkan engine runs the head (fused by default).
    public var headPool: HeadPool.Mode
    /// IMGFEAT_VULKAN_FUSED_BLOCKS=auto|on|off|measure: where the Vulkan engine fuses inverted-residual blocks
    /// (auto by default: measured per block on GPUs, layer by layer on CPU drivers).
    public var fusedBlocks: FusedBlockMode
    /// IMGFEAT_VULKAN_REDUCTION=auto|subgroup|shared-memory: how the pool kernels add partial sums (auto by
    /// default: subgroup arithmetic on GPUs that have it, shared memory elsewhere).
    public var reduction: KernelReduction.Mode
    /// IMGFEAT_CPU_KERNELS=auto|scalar|avx2|avx512|neon as given (nil when unset): the fast CPU engine's kernel
    /// set, checked against the CPU by `RunOptions.chooseCPUKernels` where a command can fail with one line.
    public var cpuKernels: String?
    /// `${XDG_CACHE_HOME:-~/.cache}/imgfeat/fastpaths`: the Vulkan fast-path self-check's verdicts, beside
    /// the SPIR-V cache.
    public var fastPathCache: URL?

    /// The settings `environment` implies; an empty one gives the defaults. Throws
    /// `EnvironmentVariable.Invalid` (one line: the variable, its value, what it accepts) for a value
    /// outside what a variable accepts, rather than running on a default the user did not ask for.
    public init(environment: [String: String]) throws {
        func variable(_ name: String) -> EnvironmentVariable { EnvironmentVariable(name, in: environment) }
        storage = try .fromEnvironment(environment)
        weightsSearch = WeightsSearch(environment: environment)
        // WeightsSearch reads IMGFEAT_OFFLINE leniently for its library callers; the edge refuses a typo.
        weightsSearch.offline = try variable("IMGFEAT_OFFLINE").flag()
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
        vulkan = VulkanSetup(validation: try variable("IMGFEAT_VULKAN_VALIDATION").flag(),
                             loaderPath: environment["IMGFEAT_VULKAN_LOADER"].flatMap { $0.isEmpty ? nil : $0 },
                             shaderCache: cache.map { $0.appendingPathComponent("imgfeat/spirv") } ?? VulkanSetup.homeShaderCache,
                             shaderSources: environment["IMGFEAT_SHADERS"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) })
        headPool = try variable("IMGFEAT_VULKAN_HEAD_POOL").choice(default: HeadPool.Mode.fused)
        fusedBlocks = try variable("IMGFEAT_VULKAN_FUSED_BLOCKS").choice(default: FusedBlockMode.auto)
        reduction = try variable("IMGFEAT_VULKAN_REDUCTION").choice(default: KernelReduction.Mode.auto)
        cpuKernels = environment["IMGFEAT_CPU_KERNELS"]
        fastPathCache = vulkan.shaderCache?.deletingLastPathComponent().appendingPathComponent("fastpaths")
    }

    /// The settings of an empty environment: every default.
    public static let defaults: EnvironmentSettings = {
        do { return try EnvironmentSettings(environment: [:]) } catch {
            preconditionFailure("an empty environment sets no variable, so none can be invalid: \(error)")
        }
    }()
}
