import Foundation

/// Creates `url` and its parents, or says in one line why it cannot.
func createDirectory(_ url: URL) throws {
    try OutputFiles.createFolder(url)
}
