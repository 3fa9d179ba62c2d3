/// The weight arrays of a Keras weights file in the order Keras assigns them, from either layout.
struct KerasWeightFile {
    /// One Keras layer that has weights, with the name used in errors.
    struct Layer {
        var name: String
        var arrays: [HDF5File.Array]
    }

    enum Layout { case legacy, keras3 }

    let path: String
    let layout: Layout
    /// Legacy layout: layers with weights in file order. Keras 3 layout: empty (see `keras3Layers`).
    let layers: [Layer]
    /// Keras 3 layout: layers with weights, grouped by snake_case class name, ordered by their `_N` suffix.
    let keras3Layers: [String: [Layer]]

    /// Reads every weight array of the file at `path`.
    init(path: String) throws {
        self.path = path
        let file = try HDF5File(path: path)
        if let root = try Self.legacyRoot(file) {
            layout = .legacy
            layers = try Self.readLegacy(file, root: root)
            keras3Layers = [:]
        } else if file.exists("layers") {
            layout = .keras3
            layers = []
            keras3Layers = try Self.readKeras3(file)
        } else {
            throw ModelError.weights(file: path, message: "no Keras weights: neither a layer_names attribute nor a layers/ group")
        }
    }

    /// The group holding `layer_names`: the root, or `model_weights` in full-model files.
    private static func legacyRoot(_ file: HDF5File) throws -> String? {
        for root in ["/", "model_weights"] where root == "/" || file.exists(root) {
            if try file.strings(attribute: "layer_names", of: root) != nil
                || file.strings(attribute: "layer_names0", of: root) != nil {
                return root
            }
        }
        return nil
    }

    /// Layer names, joined back when Keras split a large attribute into layer_names0, layer_names1, ...
    private static func layerNames(_ file: HDF5File, root: String) throws -> [String] {
        if let names = try file.strings(attribute: "layer_names", of: root) { return names }
        var names: [String] = []
        var index = 0
        while let chunk = try file.strings(attribute: "layer_names\(index)", of: root) {
            names += chunk
            index += 1
        }
        return names
    }

    private static func readLegacy(_ file: HDF5File, root: String) throws -> [Layer] {
        let prefix = root == "/" ? "" : root + "/"
        var result: [Layer] = []
        for name in try layerNames(file, root: root) {
            guard file.exists(prefix + name) else {
                throw ModelError.weights(file: file.path, message: "layer \(name) is listed in layer_names but has no group")
            }
            let weightNames = try file.strings(attribute: "weight_names", of: prefix + name) ?? []
            if weightNames.isEmpty { continue }
            var arrays: [HDF5File.Array] = []
            for weightName in weightNames {
                let datasetPath = prefix + name + "/" + weightName
                guard file.exists(datasetPath) else {
                    throw ModelError.weights(file: file.path, message: "layer \(name): dataset \(weightName) missing")
                }
                arrays.append(try file.array(datasetPath))
            }
            result.append(Layer(name: name, arrays: arrays))
        }
        return result
    }

    private static func readKeras3(_ file: HDF5File) throws -> [String: [Layer]] {
        var numbered: [String: [(Int, Layer)]] = [:]
        for child in try file.children(of: "layers") {
            let (kind, number) = splitSuffix(child)
            let varsPath = "layers/\(child)/vars"
            guard file.exists(varsPath) else { continue }
            let count = try file.children(of: varsPath).count
            if count == 0 { continue }
            var arrays: [HDF5File.Array] = []
            for index in 0..<count {
                let datasetPath = "\(varsPath)/\(index)"
                guard file.exists(datasetPath) else {
                    throw ModelError.weights(file: file.path, message: "layer layers/\(child): dataset vars/\(index) missing")
                }
                arrays.append(try file.array(datasetPath))
            }
            numbered[kind, default: []].append((number, Layer(name: "layers/\(child)", arrays: arrays)))
        }
        return numbered.mapValues { $0.sorted { $0.0 < $1.0 }.map(\.1) }
    }

    /// "conv2d_12" → ("conv2d", 12); "conv2d" → ("conv2d", 0). Class names such as "re_lu" keep their "_".
    static func splitSuffix(_ name: String) -> (String, Int) {
        if let underscore = name.lastIndex(of: "_"), let number = Int(name[name.index(after: underscore)...]) {
            return (String(name[..<underscore]), number)
        }
        return (name, 0)
    }
}
