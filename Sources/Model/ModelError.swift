/// Why a model could not be built, loaded or run; the description is one line naming the object and cause.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// Alpha or input size outside what MobileNetV2 accepts.
    case invalidConfig(String)
    /// A weights file could not be read or does not fit the architecture.
    case weights(file: String, message: String)
    /// No ImageNet weights file could be found locally.
    case weightsNotFound(String)
    /// An input tensor does not fit the model.
    case badInput(String)
    /// A fast CPU kernel set that is unknown or that this CPU cannot run.
    case unsupportedKernels(String)

    public var description: String {
        switch self {
        case .invalidConfig(let message): return "invalid MobileNetV2 configuration: \(message)"
        case .weights(let file, let message): return "\(file): \(message)"
        case .weightsNotFound(let message): return message
        case .badInput(let message): return "bad model input: \(message)"
        case .unsupportedKernels(let message): return message
        }
    }
}
