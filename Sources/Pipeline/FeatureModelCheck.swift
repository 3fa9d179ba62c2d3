/// Holds every feature table of one PCA fit or projection to one model: the first table that records
/// a model sets it, and a table recording another one is refused with both named. Tables that record
/// none (written by other tools) cannot be checked and pass.
struct FeatureModelCheck {
    /// The model seen first and where.
    private(set) var model: FeatureModel?
    private var source = ""
    /// What a mismatch is said to be against ("MODEL.json was fitted on", or a table).
    private let against: String?

    /// A check that adopts the first model it sees.
    init() { against = nil }

    /// A check against a fitted PCA model's features; `modelPath` names it in the error.
    init(fittedOn fields: [String: String], modelPath: String) {
        model = FeatureModel(metadata: fields)
        source = modelPath
        against = model == nil ? nil : modelPath
    }

    /// Records the model of `file`; throws when it differs from the one seen before.
    mutating func see(_ found: FeatureModel?, in file: String) throws {
        guard let found else { return }
        guard let model else {
            model = found
            source = file
            return
        }
        guard found != model else { return }
        if let against {
            throw PipelineError("\(file) holds features of \(found), but \(against) was fitted on features of \(model); "
                                + "fit a PCA on this model's features instead")
        }
        throw PipelineError("\(file) holds features of \(found), but \(source) holds features of \(model); "
                            + "a PCA fits one model's features: give the tables of one model only")
    }
}
