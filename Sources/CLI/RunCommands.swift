import ArgumentParser
import Pipeline

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Featurize INPUT, fit a PCA, and write features, projections, errors and the model under OUT.")

    @Argument(help: "A folder (recursive *.jpg/*.jpeg), s3://bucket/prefix, or @FILE listing one path per line.")
    var input: String
    @Option(help: "Output folder.")
    var output: String
    @Option(help: "Number of principal components, 1…the feature width (1280), and fewer than the images.")
    var k: Int = 50
    @Flag(help: "Project centred vectors (scikit-learn) instead of raw ones (Spark ML).")
    var center = false
    @OptionGroup var engine: EngineOptions
    @OptionGroup var control: RunControlOptions

    func run() throws {
        var options = RunOptions(input: input, output: output)
        engine.apply(to: &options)
        let summary = try reportingFailure {
            try control.apply(to: &options)
            return try Commands.run(options, pca: PCAOptions(k: k, center: center))
        }
        print(summary.text)
    }
}

struct Featurize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Featurize INPUT into DIR/part-NNNNN-*.parquet (plus _errors.parquet and PCA statistics).")

    @Argument(help: "A folder (recursive *.jpg/*.jpeg), s3://bucket/prefix, or @FILE listing one path per line.")
    var input: String
    @Option(help: "Output folder.")
    var output: String
    @OptionGroup var engine: EngineOptions
    @OptionGroup var control: RunControlOptions

    func run() throws {
        var options = RunOptions(input: input, output: output)
        engine.apply(to: &options)
        let summary = try reportingFailure {
            try control.apply(to: &options)
            return try Commands.featurize(options)
        }
        print(summary.text)
    }
}
