import ArgumentParser
import Foundation
import Pipeline

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the model input of each image (Pillow-exact resize) as binary PPM.")

    @Argument(help: "JPEG files, folders (searched recursively), @FILE lists or s3:// prefixes.")
    var images: [String]
    @Option(help: "Output folder; each PPM keeps its input's path relative to the folder given.")
    var output: String
    @Option(help: "Square model input size.")
    var size: Int = 224
    @Flag(help: "JPEG draft mode (DCT scaling before the resize), as for run/featurize.")
    var draft = false

    func run() throws {
        let report = try reportingFailure {
            try Commands.preprocess(inputs: images, output: output, size: size, draft: draft,
                                    storage: try EnvironmentSettings.process.storage)
        }
        for path in report.written { print(path) }
        // Every bad input is named; the exit status says whether there were any.
        for failure in report.failures { FileHandle.standardError.write(Data("imgfeat: error: \(failure)\n".utf8)) }
        if !report.failures.isEmpty { throw ExitCode.failure }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the Vulkan devices, their fast paths and self-check verdicts, and the one that would be used.")

    @Flag(help: "Run the fast-path self-check now (seeded random weights at --alpha/--size, each precision the device stores) and cache the verdicts.")
    var check = false
    @Option(help: "Vulkan device the check runs on (default: the one --device vulkan takes).")
    var deviceIndex: Int?
    @Option(help: "Width multiplier of the checked model (with --check).")
    var alpha: Double = 1.0
    @Option(help: "Input size of the checked model (with --check).")
    var size: Int = 224

    func run() throws {
        var options = try reportingFailure { RunOptions(input: "", output: "", settings: try .process) }
        try reportingFailure { try options.chooseCPUKernels(try EnvironmentSettings.process.cpuKernels) }
        print(Diagnostics.cpuKernelsReport(chosen: options.cpuKernels))
        // Nothing to list without a loader, driver or device: one line naming the cause, and a failure
        // status so that a node check (integrations/spark/emr-bootstrap.sh) stops there.
        let report: String
        do {
            if check {
                try Diagnostics.checkFastPaths(options, index: deviceIndex, alpha: alpha, size: size)
            }
            report = try Diagnostics.devicesReport(options.vulkan, fastPathCache: options.fastPathCache)
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

    @Argument(help: "A folder (recursive *.jpg/*.jpeg), s3://bucket/prefix, or @FILE listing one path or URL per line.")
    var input: String
    @Option(help: "Images to use at most.")
    var limit: Int = 256
    @Option(help: "Repetitions of the network measurement (the median is reported).")
    var repeats: Int = 3
    @Option(help: "Images the slow reference engine checks the others on (0: no agreement check).")
    var referenceImages: Int = 4
    @Option(help: "Also write the measurements (per-run times, Vulkan per-stage GPU times) as JSON to this file.")
    var json: String?
    @OptionGroup var engine: EngineOptions

    func run() throws {
        var options = try reportingFailure { RunOptions(input: input, output: "", settings: try .process) }
        try engine.apply(to: &options)
        let benchmark = Benchmark(options: options, limit: limit, repeats: repeats, referenceImages: referenceImages)
        let (report, record) = try reportingFailure {
            try options.validate(needsOutput: false)
            try OptionRanges.check("limit", limit, OptionRanges.benchLimit)
            try OptionRanges.check("repeats", repeats, OptionRanges.benchRepeats)
            return try benchmark.measure()
        }
        print(report)
        if let json {
            try reportingFailure {
                do { try record.json().write(to: URL(fileURLWithPath: json), options: .atomic) } catch {
                    throw PipelineError("\(json): cannot write the benchmark record: \(error.localizedDescription)")
                }
            }
        }
    }
}
