import Model
import PCA

/// Key-value metadata written into every Parquet file, so a table says which model made it.
enum OutputMetadata {
    static let version = "0.1.0"

    static func features(model: FoldedMobileNetV2, engine: String) -> [String: String] {
        [
            "imgfeat.version": version,
            "imgfeat.model": "keras.applications.MobileNetV2 layers[-2]",
            "imgfeat.model.alpha": String(model.config.alpha),
            "imgfeat.model.input_size": String(model.config.inputSize),
            "imgfeat.model.feature_dimension": String(model.featureDimension),
            // random:SEED weights are visible here, so smoke-test output is never mistaken for ImageNet features.
            "imgfeat.weights": model.weightsIdentity,
            "imgfeat.engine": engine,
        ]
    }

    static func pca(_ pca: PCAModel, features: [String: String]) -> [String: String] {
        var metadata = features
        metadata["imgfeat.pca.k"] = String(pca.k)
        metadata["imgfeat.pca.n"] = String(pca.count)
        metadata["imgfeat.pca.center"] = String(pca.center)
        metadata["imgfeat.pca.sign_rule"] = PCASignRule.name
        return metadata
    }
}
