import ArgumentParser
import Foundation
import Pipeline
import VulkanRuntime

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
        let written = try reportingFailure { try Commands.preprocess(images: images, output: output, size: size) }
        for path in written { print(path) }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the Vulkan devices and the one that would be used.")

    func run() throws {
        // Nothing to list without a loader, driver or device: one line naming the cause, and a failure
        // status so that a node check (integrations/spark/emr-bootstrap.sh) stops there.
        do {
            _ = try VulkanContext.devices()
        } catch {
            FileHandle.standardError.write(Data(
                "imgfeat: error: \(error); --device auto will use the fast CPU path, --device vulkan will fail\n".utf8))
            throw ExitCode.failure
        }
        print(Diagnostics.devicesReport())
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
        var options = RunOptions(input: input, output: "")
        engine.apply(to: &options)
        let report = try reportingFailure {
            try options.validate(needsOutput: false)
            try OptionRanges.check("limit", limit, OptionRanges.benchLimit)
            try OptionRanges.check("repeats", repeats, OptionRanges.benchRepeats)
            return try Benchmark(options: options, limit: limit, repeats: repeats).run()
        }
        print(report)
    }
}
