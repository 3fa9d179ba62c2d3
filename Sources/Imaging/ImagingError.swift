/// Why an image could not be read; its description is one line naming the file and the cause.
public enum ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file holds no bytes at all.
    case empty(name: String)
    /// The bytes are not a JPEG stream (no SOI marker); `detected` names what they look like.
    case notJPEG(name: String, detected: String)
    /// The stream ends before the image data does (Pillow: "image file is truncated").
    case truncated(name: String)
    /// The header announces more pixels than allowed (Pillow's decompression-bomb guard).
    case tooManyPixels(name: String, width: Int, height: Int, limit: Int)
    /// libjpeg-turbo rejected the stream; `message` is its own error text.
    case decodeFailed(name: String, message: String)
    /// A PPM file that is malformed or uses a format this reader does not handle.
    case badPPM(name: String, reason: String)

    public var description: String {
        switch self {
        case .empty(let name):
            return "\(name): empty file (0 bytes), not a JPEG image"
        case .notJPEG(let name, let detected):
            return "\(name): not a JPEG image (\(detected))"
        case .truncated(let name):
            return "\(name): JPEG image file is truncated (premature end of data)"
        case .tooManyPixels(let name, let width, let height, let limit):
            return "\(name): image of \(width)x\(height) = \(width * height) pixels exceeds the limit of \(limit) pixels"
        case .decodeFailed(let name, let message):
            return "\(name): cannot decode JPEG: \(message)"
        case .badPPM(let name, let reason):
            return "\(name): invalid PPM: \(reason)"
        }
    }
}
