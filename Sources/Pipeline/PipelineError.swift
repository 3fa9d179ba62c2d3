import Storage

/// Why a command could not finish, in one line.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// How `error` reads on the command line: a Storage failure with the option that gets past it
    /// (`StorageError.withFlagHint`), anything else as it describes itself. Wherever a command puts another
    /// error's text into its own line, it takes it from here.
    public static func line(for error: any Error) -> String {
        (error as? StorageError)?.withFlagHint.description ?? "\(error)"
    }
}
