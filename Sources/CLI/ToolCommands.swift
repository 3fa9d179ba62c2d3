import ArgumentParser
import Foundation
import Pipeline

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the model input of each image (Pillow-exact resize) as binary PPM.")

    @Argument(help: "JPEG files.")
    var images: [String]
    @Option(help: "Output folder.")
    var output: String
    @Option(help: "Square model input size.")
    var size: Int = 224

    func run() throws {
        let written = try reportingFailure { try Commands.preprocess(images: images, output: output, size: size,
                                                                       storage: EnvironmentSettings.process.storage) }
        for path in written { print(path) }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the Vulkan devices and the one that would be used.")

    func run() throws {
        // Nothing to list without a loader, driver or device: one line naming the cause, and a failure
        // status so that a node check (integrations/spark/emr-bootstrap.sh) stops there.
        let report: String
        do {
            report = try Diagnostics.devicesReport(EnvironmentSettings.process.vulkan)
        } catch {
            FileHandle.standardError.write(Data(
                "imgfeat: error: \(error); --device auto will use the fast CPU path, --device vulkan will fail\n".utf8))
            throw ExitCode.failure
        }
        print(report)
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the throughput of each stage on each available device, and their agreement.")

    @Argument(help: "A folder of JPEG images (or @FILE).")
    var input: String
    @Option(help: "Images to use at most.")
    var limit: Int = 256
    @Option(help: "Repetitions of the network measurement (the median is reported).")
    var repeats: Int = 3
    @OptionGroup var engine: EngineOptions

    func run() throws {
        var options = RunOptions(input: input, output: "", settings: .process)
        engine.apply(to: &options)
        let report = try reportingFailure { try Benchmark(options: options, limit: limit, repeats: repeats).run() }
        print(report)
    }
}
