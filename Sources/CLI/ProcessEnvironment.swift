import Foundation
import Pipeline

extension EnvironmentSettings {
    private static let processSettings = Result { try EnvironmentSettings(environment: ProcessInfo.processInfo.environment) }

    /// The process environment, read once here at the edge and handed down as values; a variable with a
    /// value it does not accept is thrown (one line) by every command that reads the environment.
    static var process: EnvironmentSettings {
        get throws { try processSettings.get() }
    }
}
