import ArgumentParser
import Pipeline

/// INPUT and `--output` of the featurizing commands.
struct InputOutputOptions: ParsableArguments {
    @Argument(help: "A folder (recursive *.jpg/*.jpeg), s3://bucket/prefix, or @FILE listing one path per line.")
    var input: String
    @Option(help: "Output folder.")
    var output: String

    /// The run options of these paths and `engine`, `control`, with the environment's settings.
    func runOptions(_ engine: EngineOptions, _ control: RunControlOptions) throws -> RunOptions {
        var options = RunOptions(input: input, output: output, settings: try .process)
        try engine.apply(to: &options)
        try control.apply(to: &options)
        options.commandLine = ["imgfeat"] + CommandLine.arguments.dropFirst()
        return options
    }
}
