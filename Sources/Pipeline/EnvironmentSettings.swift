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
    /// (auto, measured on GPUs, by default); an unknown value leaves auto here and is one of `problems`.
    public var fusedBlocks: FusedBlockMode
    /// One line per variable whose value imgfeat does not accept; `RunOptions.validate` throws the first.
    public var problems: [String] = []
    /// IMGFEAT_CPU_KERNELS=auto|scalar|avx2|avx512|neon as given (nil when unset): the fast CPU engine's kernel
    /// set, checked against the CPU by `RunOptions.chooseCPUKernels` where a command can fail with one line.
    public var cpuKernels: String?
    /// `${XDG_CACHE_HOME:-~/.cache}/imgfeat/fastpaths`: the Vulkan fast-path self-check's verdicts, beside
    /// the SPIR-V cache.
    public var fastPathCache: URL?

    /// The settings `environment` implies; an empty one gives the defaults.
    public init(environment: [String: String]) {
        storage = .fromEnvironment(environment)
        weightsSearch = WeightsSearch(environment: environment)
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
        vulkan = VulkanSetup(validation: environment["IMGFEAT_VULKAN_VALIDATION"] == "1",
                             loaderPath: environment["IMGFEAT_VULKAN_LOADER"].flatMap { $0.isEmpty ? nil : $0 },
                             shaderCache: cache.map { $0.appendingPathComponent("imgfeat/spirv") } ?? VulkanSetup.homeShaderCache,
                             shaderSources: environment["IMGFEAT_SHADERS"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) })
        headPool = environment["IMGFEAT_VULKAN_HEAD_POOL"].flatMap(HeadPool.Mode.init(rawValue:)) ?? .fused
        do {
            fusedBlocks = try FusedBlockMode.parse(environment[FusedBlockMode.environmentVariable])
        } catch {
            fusedBlocks = .auto
            problems.append("\(error)")
        }
        cpuKernels = environment["IMGFEAT_CPU_KERNELS"]
        fastPathCache = vulkan.shaderCache?.deletingLastPathComponent().appendingPathComponent("fastpaths")
    }
}
