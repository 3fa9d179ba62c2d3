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

    /// `key` for `service` in the `[services NAME]` section of the config file (an indented setting
    /// under `service =`, as the AWS CLI v2 and boto3 read it).
    public func serviceValue(_ key: String, service: String, services: String) -> String? {
        Self.parse(path: configPath)["services \(services)"]?["\(service).\(key)"]
    }

    /// Sections of an INI file as the AWS CLI reads it: `key = value`, `#`/`;` comments, names trimmed.
    /// Indented lines under a key with no value are its nested settings, kept as `key.subkey`.
    public static func parse(text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        var parent: String?  // the last top-level key without a value: nested settings belong to it
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                let name = trimmed.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true)
                    .joined(separator: " ")
                current = name
                parent = nil
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if line.first == " " || line.first == "\t" {
                if let parent { sections[section, default: [:]]["\(parent).\(key)"] = value }
                continue
            }
            parent = value.isEmpty ? key : nil
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
