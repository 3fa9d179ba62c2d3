import Imaging

/// Keras MobileNetV2 input preparation: Pillow resize, then `x / 127.5 - 1` in float32.
public enum ModelInput {
    /// `Float(v) / 127.5 - 1` for every byte value, computed as a float32 divide then a float32
    /// subtract (Keras' order); multiplying by the reciprocal would change 111 of the values.
    public static let scaleTable: [Float] = (0..<256).map { value in
        let quotient: Float = Float(value) / Float(127.5)
        return quotient - Float(1)
    }

    /// The image's pixels mapped through `scaleTable`, HWC order, no resize.
    public static func scaled(_ image: RGBImage) -> [Float] {
        let table = scaleTable
        return [Float](unsafeUninitializedCapacity: image.pixels.count) { out, count in
            image.pixels.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { t in
                    for i in 0..<src.count { out[i] = t[Int(src[i])] }
                }
            }
            count = image.pixels.count
        }
    }

    /// Resizes to `size × size` as Pillow does (unchanged when already that size), then scales.
    public static func preprocess(_ image: RGBImage, size: Int) -> [Float] {
        scaled(PillowResize.resize(image, width: size, height: size))
    }
}
