import Foundation

/// The GLSL compute sources, one kernel per file under `glsl/`.
public enum ShaderSource {
    /// The source of `glsl/<name>.comp` (looked for in `folder` first, when given), or an error that
    /// says where it looked.
    public static func named(_ name: String, folder explicit: URL? = nil) throws -> String {
        let file = name + ".comp"
        let folders = searchFolders(explicit)
        for folder in folders {
            let url = folder.appendingPathComponent(file)
            if FileManager.default.fileExists(atPath: url.path) {
                return try String(contentsOf: url, encoding: .utf8)
            }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [
            NSFilePathErrorKey: file,
            NSLocalizedDescriptionKey: "shader \(file) not found; looked in \(folders.map(\.path).joined(separator: ", ")); set IMGFEAT_SHADERS to the folder holding the .comp files",
        ])
    }

    /// Where shaders are looked for, in order: `explicit` (the CLI passes `$IMGFEAT_SHADERS` down through
    /// `VulkanOptions.shaderSources`), the resource bundle SwiftPM puts beside the executable, then the
    /// source folder of a development build. Unlike `Bundle.module`, a missing bundle is an error the
    /// caller can report, not a crash.
    public static func searchFolders(_ explicit: URL? = nil) -> [URL] {
        var folders: [URL] = []
        if let explicit { folders.append(explicit) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        for base in [Bundle.main.bundleURL, executable.deletingLastPathComponent()] {
            folders.append(base.appendingPathComponent("imgfeat_Shaders.resources/glsl"))
        }
        folders.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("glsl"))
        return folders
    }
}
