import Foundation

/// The GLSL compute sources, one kernel per file under `glsl/`.
public enum ShaderSource {
    /// The source of `glsl/<name>.comp`.
    public static func named(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "comp", subdirectory: "glsl") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "glsl/\(name).comp"])
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
