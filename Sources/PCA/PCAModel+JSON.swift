import Foundation

/// MODEL.json: the fitted model as one JSON object (see docs/PCA.md). Components are stored as k
/// arrays of d numbers, one per principal component, largest eigenvalue first.
extension PCAModel {
    /// Value of the "format" field.
    public static let jsonFormat = "imgfeat-pca-model"
    /// Version of the layout written by `jsonData()`.
    public static let jsonVersion = 1

    struct Document: Codable {
        var format: String
        var version: Int
        var k: Int
        var n: Int
        var dimension: Int
        var center: Bool
        var signRule: String
        var mean: [Double]
        var eigenvalues: [Double]
        var totalVariance: Double?
        var explainedVariance: [Double]
        var components: [[Double]]
        var featuresModel: [String: String]?
        var method: String?
        var fittedOn: String?

        enum CodingKeys: String, CodingKey {
            case format, version, k, n, dimension, center, mean, eigenvalues, components
            case signRule = "sign_rule"
            case explainedVariance = "explained_variance"
            case totalVariance = "total_variance"
            case featuresModel = "features_model"
            case method
            case fittedOn = "fitted_on"
        }
    }

    /// The model as MODEL.json bytes.
    public func jsonData() throws -> Data {
        let doc = Document(format: Self.jsonFormat, version: Self.jsonVersion, k: k, n: count,
                           dimension: dimension, center: center, signRule: signRule.rawValue, mean: mean,
                           eigenvalues: eigenvalues, totalVariance: totalVariance, explainedVariance: explainedVariance,
                           components: (0..<k).map { component($0) },
                           featuresModel: featureModel.isEmpty ? nil : featureModel, method: method.rawValue,
                           fittedOn: fittedOn)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(doc)
    }

    /// Writes MODEL.json to `url` through a temporary file and rename, so no partial model appears.
    public func save(to url: URL) throws {
        try PCAError.writeAtomically(try jsonData(), to: url)
    }

    /// Decodes MODEL.json bytes; `source` names the file in errors.
    public static func decode(_ data: Data, source: String) throws -> PCAModel {
        let doc: Document
        do { doc = try JSONDecoder().decode(Document.self, from: data) } catch {
            throw PCAError.badFile(path: source, reason: "not a PCA model JSON (\(error))")
        }
        guard doc.format == jsonFormat else {
            throw PCAError.badFile(path: source, reason: "format is \"\(doc.format)\", expected \"\(jsonFormat)\"")
        }
        guard doc.version == jsonVersion else {
            throw PCAError.badFile(path: source, reason: "unsupported version \(doc.version)")
        }
        guard let signRule = PCASignRule(rawValue: doc.signRule) else {
            throw PCAError.badFile(path: source, reason: "unknown sign rule \"\(doc.signRule)\"")
        }
        // Files written before `method` existed: the sign rule says which solver made them.
        let method = try doc.method.map {
            guard let known = PCAMethod(rawValue: $0) else {
                throw PCAError.badFile(path: source, reason: "unknown method \"\($0)\"")
            }
            return known
        } ?? (signRule == .sparkDgesdd ? .lapackDgesdd : .vulkanSubspaceIteration)
        guard method.signRule == signRule else {
            throw PCAError.badFile(path: source, reason: "method \(method.rawValue) gives signs \(method.signRule.rawValue), not \(signRule.rawValue)")
        }
        guard doc.components.count == doc.k, doc.components.allSatisfy({ $0.count == doc.dimension }),
              doc.mean.count == doc.dimension else {
            throw PCAError.badFile(path: source, reason: "expected \(doc.k) components and a mean of \(doc.dimension) values")
        }
        let d = doc.dimension
        var matrix = [Double](repeating: 0, count: d * doc.k)
        for (j, column) in doc.components.enumerated() {
            for i in 0..<d { matrix[i * doc.k + j] = column[i] }
        }
        do {
            var model = try PCAModel(k: doc.k, count: doc.n, mean: doc.mean, eigenvalues: doc.eigenvalues,
                                     components: matrix, center: doc.center, totalVariance: doc.totalVariance,
                                     signRule: signRule)
            model.featureModel = doc.featuresModel ?? [:]
            model.method = method
            model.fittedOn = doc.fittedOn
            return model
        } catch {
            throw PCAError.badFile(path: source, reason: "\(error)")
        }
    }

    /// Reads MODEL.json from `url`.
    public static func load(from url: URL) throws -> PCAModel {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PCAError.badFile(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, source: url.path)
    }
}
