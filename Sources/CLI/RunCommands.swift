import ArgumentParser
import Pipeline

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Featurize INPUT, fit a PCA, and write features, projections, errors and the model under OUT.")

    @OptionGroup var paths: InputOutputOptions
    @Option(help: "Number of principal components.")
    var k: Int = 50
    @Flag(help: "Project centred vectors (scikit-learn) instead of raw ones (Spark ML).")
    var center = false
    @OptionGroup var engine: EngineOptions
    @OptionGroup var control: RunControlOptions

    func run() throws {
        // Inside reportingFailure: a bad --shard is an `imgfeat: error:` line like every other.
        let summary = try reportingFailure { try Commands.run(try paths.runOptions(engine, control), pca: PCAOptions(k: k, center: center)) }
        print(summary.text)
    }
}

struct Featurize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Featurize INPUT into DIR/part-NNNNN-*.parquet (plus _errors.parquet and PCA statistics).")

    @OptionGroup var paths: InputOutputOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var control: RunControlOptions

    func run() throws {
        // Inside reportingFailure: a bad --shard is an `imgfeat: error:` line like every other.
        let summary = try reportingFailure { try Commands.featurize(try paths.runOptions(engine, control)) }
        print(summary.text)
    }
}
