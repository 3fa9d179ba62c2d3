/// An error reading or writing a Parquet file; its description is one line naming the file and the cause.
public struct ParquetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or folder) the error concerns.
    public var file: String
    /// What went wrong, including the column where one is involved.
    public var reason: String

    /// Makes an error for `file` with a one-line `reason`.
    public init(file: String, _ reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

/// A malformed-input error raised below the file level; the file reader adds the file name.
struct FormatError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
