import Foundation

/// The shared AWS files: ~/.aws/credentials (sections `[name]`) and ~/.aws/config (sections
/// `[profile name]`, `[default]`), located through AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE.
public struct AWSConfigFiles: Sendable {
    public let credentialsPath: String
    public let configPath: String

    public init(environment: [String: String]) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        credentialsPath = StorageConfig.nonEmpty(environment["AWS_SHARED_CREDENTIALS_FILE"])
            .map(Self.expandTilde(home)) ?? "\(home)/.aws/credentials"
        configPath = StorageConfig.nonEmpty(environment["AWS_CONFIG_FILE"])
            .map(Self.expandTilde(home)) ?? "\(home)/.aws/config"
    }

    /// `key` of `profile`: from the credentials file first (unless `inConfigOnly`), then the config file.
    public func value(_ key: String, profile: String, inConfigOnly: Bool = false) -> String? {
        if !inConfigOnly, let v = Self.parse(path: credentialsPath)[profile]?[key] { return v }
        let section = profile == "default" ? "default" : "profile \(profile)"
        let config = Self.parse(path: configPath)
        return config[section]?[key] ?? (profile == "default" ? config["profile default"]?[key] : nil)
    }

    /// Sections of an INI file as the AWS CLI reads it: `key = value`, `#`/`;` comments, names trimmed.
    /// Indented lines (nested settings such as `s3 =` blocks) are ignored.
    public static func parse(text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                let name = trimmed.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true)
                    .joined(separator: " ")
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, line.first != " ", line.first != "\t",
                  let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        return sections
    }

    static func parse(path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        return parse(text: text)
    }

    private static func expandTilde(_ home: String) -> (String) -> String {
        { $0.hasPrefix("~/") ? home + String($0.dropFirst()) : $0 }
    }
}
