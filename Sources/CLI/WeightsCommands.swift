import ArgumentParser
import Pipeline

struct Weights: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the ImageNet weights cache.", subcommands: [Fetch.self])

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the official Keras MobileNetV2 ImageNet file into the cache ahead of time (clusters, offline machines).")

        @Option(help: "Width multiplier: 0.35, 0.5, 0.75, 1.0, 1.3 or 1.4.")
        var alpha: Double = 1.0
        @Option(help: "Input size: 96, 128, 160, 192 or 224 (others use the 224 file).")
        var size: Int = 224

        func run() throws {
            let line = try reportingFailure {
                let settings = try EnvironmentSettings.process
                return try Commands.fetchWeights(alpha: alpha, size: size, storage: settings.storage, search: settings.weightsSearch)
            }
            print(line)
        }
    }
}
