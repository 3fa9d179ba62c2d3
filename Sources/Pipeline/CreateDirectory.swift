import Foundation

/// Creates `url` and its parents, or says in one line why it cannot.
func createDirectory(_ url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw PipelineError("\(url.path): cannot create folder (\(error.localizedDescription))")
    }
}
