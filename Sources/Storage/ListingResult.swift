/// An entry a listing found but cannot use: a folder it could not open, a link that leads nowhere or
/// back into its own ancestors, a special file with an image's name. The pipeline writes each as an
/// error row, so nothing under INPUT is skipped without a word.
public struct ListingProblem: Sendable, Equatable {
    public var path: String
    /// `list` (a folder or link that could not be followed) or `read` (an entry that is not a file).
    public var stage: String
    public var message: String

    public init(path: String, stage: String, message: String) {
        self.path = path
        self.stage = stage
        self.message = message
    }
}

/// What a listing produced: the images, sorted by path, and everything it had to leave out.
public struct ListingResult: Sendable {
    public var items: [InputItem]
    public var problems: [ListingProblem]
    /// Lines of an `@FILE` list that repeated an earlier one (by stored path): kept once.
    public var duplicates: Int

    public init(items: [InputItem], problems: [ListingProblem] = [], duplicates: Int = 0) {
        self.items = items
        self.problems = problems
        self.duplicates = duplicates
    }
}
