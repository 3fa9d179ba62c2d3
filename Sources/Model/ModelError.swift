/// Why a model could not be built, loaded or run; the description is one line naming the object and cause.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// Alpha or input size outside what MobileNetV2 accepts.
    case invalidConfig(String)
    /// A weights file could not be read or does not fit the architecture.
    case weights(file: String, message: String)
    /// No ImageNet weights file could be found locally: `explicitFile` (the search's `$IMGFEAT_WEIGHTS`)
    /// does not exist, or `fileName` is in none of `folders`. Says nothing of how to name another file:
    /// that is the caller's (the CLI's `--weights`).
    case weightsNotFound(explicitFile: String?, fileName: String, folders: [String])
    /// A weights file loaded without an alpha whose kernel shapes fit none of `alphas`.
    case alphaNotInferred(file: String, alphas: [Double])
    /// An input tensor does not fit the model.
    case badInput(String)
    /// A fast CPU kernel set that is unknown or that this CPU cannot run.
    case unsupportedKernels(String)
    /// The self-check found even the per-layer float32 kernels wrong on this Vulkan device (the verdict's note).
    case deviceRefused(String)

    public var description: String {
        switch self {
        case .invalidConfig(let message): return "invalid MobileNetV2 configuration: \(message)"
        case .weights(let file, let message): return "\(file): \(message)"
        case .weightsNotFound(let explicitFile?, _, _): return "IMGFEAT_WEIGHTS=\(explicitFile): no such file"
        case .weightsNotFound(nil, let fileName, let folders):
            return "no ImageNet weights found; looked in $IMGFEAT_WEIGHTS, \(folders.joined(separator: ", ")) for \(fileName)"
        case .alphaNotInferred(let file, let alphas):
            return "\(file): kernel shapes fit no MobileNetV2 alpha in \(alphas.map { MobileNetV2Config.format(alpha: $0) }.joined(separator: ", "))"
        case .badInput(let message): return "bad model input: \(message)"
        case .unsupportedKernels(let message): return message
        case .deviceRefused(let note): return note
        }
    }
}
