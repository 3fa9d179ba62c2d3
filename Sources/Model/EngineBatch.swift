import Imaging

/// What an engine takes in.
public enum EngineInputKind: Sendable {
    /// The preprocessed N×S×S×3 tensor (Pillow resize and Keras scaling done on the host).
    case tensor
    /// Decoded RGB8 pixels of any size, resized and scaled by the engine itself.
    case pixels
}

/// One batch of images for an engine, in the form its `inputKind` asks for.
public enum EngineBatch {
    case tensor(Tensor)
    case pixels([RGBImage])

    /// Images in the batch.
    public var count: Int {
        switch self {
        case .tensor(let tensor): tensor.batch
        case .pixels(let images): images.count
        }
    }
}
