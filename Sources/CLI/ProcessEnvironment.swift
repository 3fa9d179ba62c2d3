import Foundation
import Pipeline

extension EnvironmentSettings {
    /// The process environment, read once here at the edge and handed down as values.
    static let process = EnvironmentSettings(environment: ProcessInfo.processInfo.environment)
}
