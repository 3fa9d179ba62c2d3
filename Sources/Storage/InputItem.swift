/// One input image: where it lives and the label the notebook gives it (its parent folder's name).
public struct InputItem: Sendable, Hashable {
    /// Full path or URI, as written to the `path` column.
    public var path: String
    /// Name of the parent folder (or prefix component), as written to the `label` column.
    public var label: String

    public init(path: String, label: String) {
        self.path = path
        self.label = label
    }

    /// Builds an item whose label is the last folder component before the file name, like the
    /// notebook's `element_at(split(path, '/'), -2)`.
    public init(path: String) {
        self.path = path
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        self.label = parts.count >= 2 ? String(parts[parts.count - 2]) : ""
    }
}
