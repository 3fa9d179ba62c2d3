import Common
import Foundation

/// Builds a folded MobileNetV2 from a Keras weights file, matching arrays to layers by order as Keras does.
enum KerasWeightsLoader {
    /// One convolution's kernel with the four BatchNorm arrays that follow it (γ, β, moving mean, moving variance).
    struct ConvWeights {
        var convName: String
        var kernel: HDF5File.Array
        var batchNormName: String
        var batchNorm: [HDF5File.Array]
    }

    static let epsilon = 1e-3

    /// Loads `path`; alpha is inferred from the kernel shapes when nil, and checked when given.
    static func load(path: String, alpha: Double?, inputSize: Int) throws -> FoldedMobileNetV2 {
        let file = try KerasWeightFile(path: path)
        // Names and kinds do not depend on alpha: one architecture serves to order the arrays.
        let names = try MobileNetV2Architecture(config: MobileNetV2Config(alpha: 1.0, inputSize: inputSize))
        let units = try file.layout == .legacy ? legacyUnits(file, names: names) : keras3Units(file, names: names)
        let architecture = try chooseArchitecture(units, alpha: alpha, inputSize: inputSize, path: path)
        let identity = "keras-h5:\(URL(fileURLWithPath: path).lastPathComponent) sha256:\(try fileDigest(path))"
        var index = 0
        return architecture.assemble(weightsIdentity: identity) { spec in
            defer { index += 1 }
            return fold(spec, units[index])
        }
    }

    /// Legacy layout: conv, BN, conv, BN, ... optionally followed by the Dense classifier.
    static func legacyUnits(_ file: KerasWeightFile, names: MobileNetV2Architecture) throws -> [ConvWeights] {
        var layers = file.layers
        let convolutions = names.convolutions
        if layers.count == 2 * convolutions.count + 1, let last = layers.last,
           last.arrays.count == 2, last.arrays[0].shape.count == 2 {
            layers.removeLast()  // the classifier ("predictions", or "Logits" in older files)
        }
        guard layers.count == 2 * convolutions.count else {
            let present = Set(file.layers.map(\.name))
            for spec in convolutions {
                for name in [spec.name, spec.batchNormName] where !present.contains(name) {
                    throw ModelError.weights(file: file.path, message: "layer \(name) missing")
                }
            }
            throw ModelError.weights(
                file: file.path,
                message: "\(file.layers.count) layers with weights, MobileNetV2 has \(2 * convolutions.count) (\(2 * convolutions.count + 1) with its classifier)")
        }
        return try (0..<convolutions.count).map { i in
            let conv = layers[2 * i], norm = layers[2 * i + 1]
            guard conv.arrays.count == 1, norm.arrays.count == 4 else {
                throw ModelError.weights(
                    file: file.path,
                    message: "layer \(conv.name) or \(norm.name): expected a kernel then 4 BatchNorm arrays for \(convolutions[i].name)")
            }
            return ConvWeights(convName: conv.name, kernel: conv.arrays[0], batchNormName: norm.name, batchNorm: norm.arrays)
        }
    }

    /// Keras 3 layout: layers numbered per class, so conv2d, depthwise_conv2d and batch_normalization
    /// each keep model order and are interleaved by the architecture.
    static func keras3Units(_ file: KerasWeightFile, names: MobileNetV2Architecture) throws -> [ConvWeights] {
        let convolutions = names.convolutions
        let dense = convolutions.filter { $0.kind != .depthwise }
        let depthwise = convolutions.filter { $0.kind == .depthwise }
        let expected = ["conv2d": dense.count, "depthwise_conv2d": depthwise.count, "batch_normalization": convolutions.count]
        for (kind, count) in expected.sorted(by: { $0.key < $1.key }) {
            let found = file.keras3Layers[kind]?.count ?? 0
            guard found == count else {
                throw ModelError.weights(file: file.path, message: "layers/\(kind): \(found) layers with weights, MobileNetV2 has \(count)")
            }
        }
        let denseLayers = file.keras3Layers["conv2d"] ?? []
        let depthwiseLayers = file.keras3Layers["depthwise_conv2d"] ?? []
        let normLayers = file.keras3Layers["batch_normalization"] ?? []
        var nextDense = 0, nextDepthwise = 0
        return try convolutions.enumerated().map { i, spec in
            let conv: KerasWeightFile.Layer
            if spec.kind == .depthwise {
                conv = depthwiseLayers[nextDepthwise]
                nextDepthwise += 1
            } else {
                conv = denseLayers[nextDense]
                nextDense += 1
            }
            let norm = normLayers[i]
            guard conv.arrays.count == 1, norm.arrays.count == 4 else {
                throw ModelError.weights(
                    file: file.path, message: "layer \(conv.name) or \(norm.name): expected a kernel and 4 BatchNorm arrays for \(spec.name)")
            }
            return ConvWeights(convName: conv.name, kernel: conv.arrays[0], batchNormName: norm.name, batchNorm: norm.arrays)
        }
    }

    /// The architecture whose shapes the file fits: the given alpha, or the first ImageNet alpha that fits.
    static func chooseArchitecture(_ units: [ConvWeights], alpha: Double?, inputSize: Int, path: String) throws
        -> MobileNetV2Architecture {
        let fits = { (candidate: Double) -> MobileNetV2Architecture? in
            guard let architecture = try? MobileNetV2Architecture(config: MobileNetV2Config(alpha: candidate, inputSize: inputSize))
            else { return nil }
            return mismatch(units, architecture) == nil ? architecture : nil
        }
        let inferred = MobileNetV2Config.imagenetAlphas.first { fits($0) != nil }
        guard let alpha else {
            guard let inferred, let architecture = fits(inferred) else {
                throw ModelError.alphaNotInferred(file: path, alphas: MobileNetV2Config.imagenetAlphas)
            }
            return architecture
        }
        let architecture = try MobileNetV2Architecture(config: MobileNetV2Config(alpha: alpha, inputSize: inputSize))
        if let problem = mismatch(units, architecture) {
            let hint = inferred.map { "; the file fits alpha \(MobileNetV2Config.format(alpha: $0))" } ?? ""
            throw ModelError.weights(file: path, message: "\(problem) for alpha \(MobileNetV2Config.format(alpha: alpha))\(hint)")
        }
        return architecture
    }

    /// The first layer whose array shapes differ from what `architecture` needs, described; nil when all fit.
    static func mismatch(_ units: [ConvWeights], _ architecture: MobileNetV2Architecture) -> String? {
        for (unit, spec) in zip(units, architecture.convolutions) {
            // Keras 3 files number layers per class; name the Keras layer too ("layers/conv2d (Conv1)").
            let conv = unit.convName == spec.name ? spec.name : "\(unit.convName) (\(spec.name))"
            let norm = unit.batchNormName == spec.batchNormName ? spec.batchNormName : "\(unit.batchNormName) (\(spec.batchNormName))"
            if unit.kernel.shape != spec.kerasKernelShape {
                return "layer \(conv): kernel shape \(unit.kernel.shape), MobileNetV2 needs \(spec.kerasKernelShape)"
            }
            for array in unit.batchNorm where array.shape != [spec.outChannels] {
                return "layer \(norm): shape \(array.shape), MobileNetV2 needs [\(spec.outChannels)]"
            }
        }
        return nil
    }

    /// Folds BatchNorm into the convolution in double precision: w·s and β − mean·s with s = γ/√(var + ε).
    static func fold(_ spec: ConvSpec, _ unit: ConvWeights) -> ConvLayer {
        let gamma = unit.batchNorm[0].values, beta = unit.batchNorm[1].values
        let mean = unit.batchNorm[2].values, variance = unit.batchNorm[3].values
        let out = spec.outChannels
        let scale = (0..<out).map { Double(gamma[$0]) / (Double(variance[$0]) + epsilon).squareRoot() }
        let bias = (0..<out).map { Float(Double(beta[$0]) - Double(mean[$0]) * scale[$0]) }
        // Keras kernels are (kh, kw, in, out) or (kh, kw, c, 1): the output channel is the fastest index.
        let weights = unit.kernel.values.enumerated().map { i, w in Float(Double(w) * scale[i % out]) }
        return spec.layer(weights: weights, bias: bias)
    }
}

/// The SHA-256 of a weights file, naming exactly which file a model came from.
private func fileDigest(_ path: String) throws -> String {
    guard let digest = SHA256.hexDigest(ofFile: path) else {
        throw ModelError.weights(file: path, message: "cannot read file")
    }
    return digest
}
