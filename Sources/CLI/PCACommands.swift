import ArgumentParser
import Pipeline

struct PCA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pca", abstract: "Fit a PCA on features, or project features with a fitted one.",
        subcommands: [Fit.self, Transform.self])

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit a PCA on Parquet features (files or folders) and/or PCA statistics files of shards.")

        @Argument(help: "Parquet feature files or folders, or *.bin statistics files written by featurize/run (local or s3://).")
        var features: [String]
        @Option(help: "Number of principal components.")
        var k: Int = 50
        @Option(help: "Where to write the model (JSON; a path or an s3:// URI).")
        var model: String
        @Flag(help: "Project centred vectors (scikit-learn) instead of raw ones (Spark ML).")
        var center = false
        @Option(help: "auto | vulkan | cpu: where the eigen step runs. auto and cpu: LAPACK on the host (Spark's signs); vulkan: subspace iteration on the GPU (other signs, see docs/PCA.md), LAPACK if it cannot certify its result.")
        var device: PCADeviceChoice = .auto
        @Option(help: "Vulkan device index (see `imgfeat devices`).")
        var deviceIndex: Int?
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let fitted = try reportingFailure {
                try Commands.pcaFit(inputs: features, options: PCAOptions(k: k, center: center), modelPath: model, quiet: false,
                                    storage: try storage.config,
                                    device: device.fitDevice(try EnvironmentSettings.process.vulkan, deviceIndex: deviceIndex))
            }
            print("model: \(model) (k = \(fitted.k), n = \(fitted.count), d = \(fitted.dimension); "
                  + "fitted on \(fitted.fittedOn ?? "host") by \(fitted.method.rawValue))")
        }
    }

    struct Transform: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Project Parquet features with a fitted PCA model.")

        @Argument(help: "A Parquet feature file or folder of parts (or an s3:// object or prefix).")
        var features: String
        @Option(help: "The model written by `imgfeat pca fit`.")
        var model: String
        @Option(help: "Output folder or s3:// prefix.")
        var output: String
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let rows = try reportingFailure { 
                try Commands.pcaTransform(features: features, modelPath: model, output: output, storage: try storage.config)
             }
            print("\(rows) rows projected into \(output)")
        }
    }
}
