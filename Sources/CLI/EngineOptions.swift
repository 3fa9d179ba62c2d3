import ArgumentParser
import Pipeline

extension DeviceChoice: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension PCADeviceChoice: ExpressibleByArgument {}

/// The options every featurizing command shares.
struct EngineOptions: ParsableArguments {
    @Option(help: "auto | vulkan | cpu | reference. auto takes a GPU through Vulkan when there is one, else the fast CPU path.")
    var device: DeviceChoice = .auto
    @Option(help: "Vulkan device index (see `imgfeat devices`).")
    var deviceIndex: Int?
    @Option(help: "imagenet, a Keras .h5 file, or random:SEED (smoke tests and benchmarks).")
    var weights: String = "imagenet"
    @Flag(help: "No network access for weights (also IMGFEAT_OFFLINE=1): imagenet weights must be in the cache.")
    var offline = false
    @Option(help: "Width multiplier, 0.1…4.0 (default: what the weights imply; 1.0).")
    var alpha: Double?
    @Option(help: "Square input size, 32…1024 (default: what the weights imply; 224).")
    var size: Int?
    @Option(help: "Images per engine call, 1…4096 (default: 64 on the CPU; on Vulkan chosen from the device's memory and binding limit, e.g. 256 on a discrete GPU, 16 on lavapipe).")
    var batch: Int?
    @Option(help: "Threads for decoding and the CPU engines, 1…256 (default: one per core).")
    var threads: Int?
    @Option(help: "fp32 | fp16: Vulkan activation storage; fp16 keeps the wide ReLU6 tensors in 16 bits (docs/VULKAN.md).")
    var precision: Precision = .fp32
    @OptionGroup var storage: StorageOptions
    @Option(help: "Object requests kept in flight at once, 1…1024.")
    var fetchConcurrency: Int?
    @Flag(help: "Vulkan: run the 1×1 convolutions and the head on the per-layer float32 kernels, not on cooperative matrices (tensor cores), which are used where the device has them (docs/VULKAN.md).")
    var noCoopmat = false
    @Flag(help: "JPEG draft mode: let libjpeg scale by 1/2, 1/4 or 1/8 towards --size before the resize, as Pillow's draft() does. Faster on big photos; not the notebook's pixels (docs/IMAGING.md).")
    var draft = false

    /// Copies the options into `options`, and the environment's `IMGFEAT_CPU_KERNELS` choice (refused in one
    /// line when this CPU lacks it).
    func apply(to options: inout RunOptions) throws {
        try reportingFailure { try options.chooseCPUKernels(try EnvironmentSettings.process.cpuKernels) }
        options.device = device
        options.deviceIndex = deviceIndex
        options.weights = weights
        if offline { options.weightsSearch.offline = true }
        options.alpha = alpha
        options.inputSize = size
        options.batch = batch
        options.threads = threads
        options.precision = precision
        options.draft = draft
        if noCoopmat { options.vulkanFastPaths.remove(.cooperativeMatrix) }
        storage.apply(to: &options.storage)
        if let fetchConcurrency { options.storage.concurrency = fetchConcurrency }
    }
}

/// Options of the long-running featurization commands.
struct RunControlOptions: ParsableArguments {
    @Option(help: "Take a deterministic share I/N of the listing (0 <= I < N).")
    var shard: String?
    @Option(help: "Stop (non-zero exit) once more than N inputs were unusable, committed parts included; N >= 0.")
    var maxErrors: Int?
    @Option(help: "Images per Parquet part, the unit of resume, 1…100000.")
    var partRows: Int = 1024
    @Flag(help: "No progress lines or device-choice note on stderr; the results (explained variance, summary) are still printed.")
    var quiet = false
    @Flag(help: "Clear imgfeat's files from OUT first (nothing else in it), whichever job wrote them.")
    var overwrite = false

    func apply(to options: inout RunOptions) throws {
        if let shard { options.shard = try Shard(parsing: shard) }
        options.maxErrors = maxErrors
        options.partRows = partRows
        options.quiet = quiet
        options.overwrite = overwrite
    }
}
