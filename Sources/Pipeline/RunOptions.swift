import Foundation
import Model
import Storage

/// Which engine computes the features (`--device`).
public enum DeviceChoice: String, Sendable, CaseIterable {
    /// A discrete or integrated GPU through Vulkan when there is one, else the fast CPU path.
    case auto
    /// The best Vulkan device, a CPU driver such as lavapipe included.
    case vulkan
    /// The fast CPU engine.
    case cpu
    /// The plain reference engine that the fast paths are tested against.
    case reference
}

/// Storage precision of the Vulkan engine (`--precision`): the engine's own type.
public typealias Precision = VulkanPrecision

/// S3 and HTTP settings (`--endpoint-url`, `--region`, …): Storage's own type, named for the CLI.
public typealias StorageSettings = StorageConfig

/// Everything that shapes a featurization run; the command line fills it in.
public struct RunOptions: Sendable {
    /// INPUT as given: a folder, `@FILE`, or `s3://bucket/prefix`.
    public var input: String
    /// The output folder.
    public var output: String
    public var device: DeviceChoice = .auto
    public var deviceIndex: Int?
    /// `imagenet`, a path to a Keras `.h5` file, or `random:SEED`.
    public var weights: String = "imagenet"
    public var alpha: Double?
    public var inputSize: Int?
    /// Images per engine call; nil: the engine's default for its device (`VulkanBatchRule` on Vulkan, 64 on the CPU).
    public var batch: Int?
    /// Engine and decode threads; nil means one per core.
    public var threads: Int?
    public var precision: Precision = .fp32
    /// The fast CPU engine's instruction set (default: the widest this CPU runs).
    public var cpuKernels: FastCPUEngineKernels = .best
    /// Images per Parquet part: the unit of atomic commit and of resume.
    public var partRows: Int = 1024
    public var shard: Shard = .whole
    /// Stop the run (non-zero exit) once more inputs than this have failed; nil = never.
    public var maxErrors: Int?
    /// No progress lines and no device-choice note on standard error; results are still printed.
    public var quiet: Bool = false
    /// The command line as typed, recorded in summary.json (the CLI sets it).
    public var commandLine: [String] = []
    /// `--overwrite`: clear imgfeat's files from OUT first (nothing else in it), whatever job wrote them.
    public var overwrite: Bool = false
    /// Largest decoded image, in pixels, before an input is refused.
    public var maxPixels: Int?
    /// Decode as Pillow's `draft("RGB", (size, size))` does (DCT scaling) before the resize: faster on
    /// big photos, not the notebook's pixels (docs/IMAGING.md).
    public var draft: Bool = false
    /// Object-store settings: endpoint, region, credentials profile, anonymous access, concurrency.
    public var storage: StorageConfig
    /// Where `--weights imagenet` looks.
    public var weightsSearch: WeightsSearch
    /// How the Vulkan engine opens its device (validation layer, loader, SPIR-V cache); `deviceIndex` is
    /// taken from `deviceIndex` above.
    public var vulkan: VulkanSetup
    /// How the Vulkan engine runs the head.
    public var headPool: HeadPool.Mode
    /// Where the Vulkan fast-path self-check keeps its verdicts (nil: check every time, keep nothing).
    public var fastPathCache: URL?
    /// Test-only: a deliberately wrong Vulkan fast path for the self-check to catch (the CLI never sets it).
    public var vulkanFault: VulkanFaultInjection?
    /// Where the Vulkan engine fuses inverted-residual blocks.
    public var fusedBlocks: FusedBlockMode
    /// How the Vulkan engine's pool kernels reduce (forced variant, or the device's choice).
    public var reduction: KernelReduction.Mode
    /// The Vulkan engine's optional kernels it may use where the device supports them (`--no-coopmat` removes one).
    public var vulkanFastPaths: VulkanFastPaths = .all

    /// Options for INPUT and OUT, with what the edge read from the environment.
    public init(input: String, output: String, settings: EnvironmentSettings = .defaults) {
        self.input = input
        self.output = output
        storage = settings.storage
        weightsSearch = settings.weightsSearch
        vulkan = settings.vulkan
        headPool = settings.headPool
        fastPathCache = settings.fastPathCache
        fusedBlocks = settings.fusedBlocks
        reduction = settings.reduction
    }

    /// Sets `cpuKernels` from a user's choice (`IMGFEAT_CPU_KERNELS`: auto, scalar, avx2, avx512, neon);
    /// throws one line when the name is unknown or this CPU lacks the set.
    public mutating func chooseCPUKernels(_ choice: String?) throws {
        cpuKernels = try FastCPUEngineKernels(choice: choice)
    }

    /// Threads to use: the explicit count, else the active cores.
    public var resolvedThreads: Int { max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount) }
}

/// Options of the PCA step of `imgfeat run` and of `imgfeat pca fit`.
public struct PCAOptions: Sendable {
    public var k: Int = 50
    /// Project the centred vector (scikit-learn) instead of the raw one (Spark ML).
    public var center: Bool = false

    public init(k: Int = 50, center: Bool = false) {
        self.k = k
        self.center = center
    }
}
