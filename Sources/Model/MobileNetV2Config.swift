/// The two hyper-parameters that fix a MobileNetV2's shapes: width multiplier and square input size.
public struct MobileNetV2Config: Sendable, Hashable {
    /// Width multiplier (Keras `alpha`).
    public var alpha: Double
    /// Side of the square input image in pixels.
    public var inputSize: Int

    /// A configuration; see `validate()` for the accepted ranges.
    public init(alpha: Double, inputSize: Int) {
        self.alpha = alpha
        self.inputSize = inputSize
    }

    /// Width multipliers for which Keras publishes ImageNet weights.
    public static let imagenetAlphas: [Double] = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4]
    /// Input sizes for which Keras publishes ImageNet weights.
    public static let imagenetSizes: [Int] = [96, 128, 160, 192, 224]
    /// Smallest input size Keras accepts.
    public static let minimumInputSize = 32

    /// Throws when alpha is not positive and finite or the input is smaller than Keras allows.
    public func validate() throws {
        guard alpha.isFinite, alpha > 0 else { throw ModelError.invalidConfig("alpha must be positive, got \(alpha)") }
        guard inputSize >= Self.minimumInputSize else {
            throw ModelError.invalidConfig("input size must be at least \(Self.minimumInputSize), got \(inputSize)")
        }
    }

    /// Alpha written as in the official weight file names: "1.0", "0.35", "1.4".
    public var alphaText: String { Self.format(alpha: alpha) }

    /// Keras' spelling of an alpha in file names (Python `str(float)`, for the values it publishes).
    public static func format(alpha: Double) -> String {
        var text = String(alpha)
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return text
    }
}

/// Keras' `_make_divisible(v, divisor)`: round to the nearest multiple of `divisor`, at least
/// `divisor`, never more than 10% below `v`.
public func makeDivisible(_ value: Double, divisor: Int = 8) -> Int {
    let d = Double(divisor)
    var result = max(divisor, Int((value + d / 2) / d) * divisor)
    if Double(result) < 0.9 * value { result += divisor }
    return result
}
