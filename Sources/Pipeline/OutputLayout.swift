import Foundation

/// Where each file of a run goes. `imgfeat run` puts features under `features/`; `imgfeat featurize`
/// writes the parts at the top and keeps its side files behind `_` names, which Spark ignores.
public struct OutputLayout: Sendable {
    public let root: URL
    public let featuresDirectory: URL
    public let pcaDirectory: URL
    public let pcaModel: URL
    public let errors: URL
    public let statistics: URL
    public let summary: URL
    public let screePlot: URL
    public let scatterPlot: URL
    public let success: URL
    /// Run state for resuming: the manifest and the errors of each committed part.
    public let state: URL

    public static func forRun(_ root: URL) -> OutputLayout {
        OutputLayout(root: root, features: root.appendingPathComponent("features"),
                     errors: "errors.parquet", statistics: "pca-statistics.bin", summary: "summary.json")
    }

    public static func forFeaturize(_ root: URL) -> OutputLayout {
        OutputLayout(root: root, features: root,
                     errors: "_errors.parquet", statistics: "_pca-statistics.bin", summary: "_summary.json")
    }

    private init(root: URL, features: URL, errors: String, statistics: String, summary: String) {
        self.root = root
        featuresDirectory = features
        pcaDirectory = root.appendingPathComponent("pca")
        pcaModel = root.appendingPathComponent("pca-model.json")
        self.errors = root.appendingPathComponent(errors)
        self.statistics = root.appendingPathComponent(statistics)
        self.summary = root.appendingPathComponent(summary)
        screePlot = root.appendingPathComponent("pca-scree.svg")
        scatterPlot = root.appendingPathComponent("pca-scatter.svg")
        success = root.appendingPathComponent("_SUCCESS")
        state = root.appendingPathComponent("_imgfeat")
    }

    /// The errors side file of part `index`, written before the part itself is renamed into place.
    public func partErrors(_ index: Int) -> URL {
        state.appendingPathComponent(String(format: "errors-%05d.json", index))
    }

    public var manifest: URL { state.appendingPathComponent("run.json") }
}
