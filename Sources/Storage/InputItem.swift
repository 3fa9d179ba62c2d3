/// One input image: where it lives and the label the notebook gives it (its parent folder's name).
public struct InputItem: Sendable, Hashable {
    /// Full path or URI, as written to the `path` column: URLs without user info or signing
    /// parameters (`Redaction.publicURL`).
    public var path: String
    /// What is fetched: the path, or the URL as the list gave it (credentials included). Kept in
    /// memory only, never written.
    public var location: String
    /// Name of the parent folder (or prefix component), as written to the `label` column.
    public var label: String

    public init(path: String, label: String) {
        self.path = path
        self.location = path
        self.label = label
    }

    /// Builds an item whose label is the last folder component before the file name, like the
    /// notebook's `element_at(split(path, '/'), -2)`.
    public init(path: String, location: String? = nil) {
        self.path = path
        self.location = location ?? path
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        self.label = parts.count >= 2 ? String(parts[parts.count - 2]) : ""
    }
}
