/// Something that turns preprocessed images into MobileNetV2 feature vectors.
public protocol FeatureEngine: AnyObject {
    /// "reference", "cpu", or "vulkan: <device name>".
    var name: String { get }
    /// The model whose features this engine computes.
    var model: FoldedMobileNetV2 { get }
    /// Input N×S×S×3 preprocessed (values in [-1, 1]); output N×featureDimension, row-major.
    func features(_ input: Tensor) throws -> [Float]
}

extension FeatureEngine {
    /// Throws unless `input` is N×S×S×3 for the model's input size S.
    public func checkInput(_ input: Tensor) throws {
        let size = model.config.inputSize
        guard input.height == size, input.width == size, input.channels == 3 else {
            throw ModelError.badInput(
                "\(name) engine expects N×\(size)×\(size)×3, got \(input.batch)×\(input.height)×\(input.width)×\(input.channels)")
        }
    }
}
