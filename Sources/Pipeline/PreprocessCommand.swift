import Common
import Foundation
import Imaging
import Storage

/// What `imgfeat preprocess` did: the files it wrote and, one line each, the inputs it could not use.
public struct PreprocessReport: Sendable {
    public var written: [String] = []
    public var failures: [String] = []
}

/// `imgfeat preprocess`: the model input of each image (Pillow-exact resize) as binary PPM.
///
/// Each INPUT is a file, a folder (searched recursively like `featurize`'s), `@FILE` or an
/// `s3://` prefix. Output names keep the input's path relative to its folder argument
/// (`fruits/Apple/0_100.jpg` given as `fruits` → `OUT/Apple/0_100.ppm`); a single file gives its
/// own name, and `@FILE` lines and object URIs their path without scheme. An input whose name
/// another input of the same call already took is reported, never overwritten.
enum PreprocessCommand {
    static func run(inputs: [String], output: String, size: Int, draft: Bool, storage: StorageConfig) throws -> PreprocessReport {
        guard size > 0 else { throw PipelineError("preprocess: --size must be positive, not \(size)") }
        let directory = URL(fileURLWithPath: output)
        try createDirectory(directory)
        var report = PreprocessReport()
        var taken: [String: String] = [:]  // output name -> input that took it
        let fetcher = ObjectFetcher(storage)
        for input in inputs {
            let source = try InputSource(parsing: input)
            let items = try Listing.items(of: source, config: storage)
            if items.isEmpty { report.failures.append("\(input): no *.jpg or *.jpeg images found") }
            for item in items {
                let name = outputName(item.path, argument: input, source: source)
                if let other = taken[name] {
                    report.failures.append("\(item.path): output \(name) already written for \(other); not overwritten")
                    continue
                }
                do {
                    let image = try JPEGDecoder.decode(try fetcher.fetch(item.path), name: item.path,
                                                       draft: draft ? size : nil)
                    let resized = PillowResize.resize(image, width: size, height: size)
                    let url = directory.appendingPathComponent(name)
                    try createDirectory(url.deletingLastPathComponent())
                    try AtomicFile.write(Data(PPM.encode(resized)), to: url)
                    taken[name] = item.path
                    report.written.append(url.path)
                } catch {
                    report.failures.append(PipelineError.line(for: error))
                }
            }
        }
        return report
    }

    /// The relative output path (with `.ppm`) of one listed input.
    static func outputName(_ path: String, argument: String, source: InputSource) -> String {
        var relative = path
        if case .localDirectory(let root) = source {
            let base = URL(fileURLWithPath: root).standardizedFileURL.path
            if path != base, path.hasPrefix(base.hasSuffix("/") ? base : base + "/") {
                relative = String(path.dropFirst(base.count))
            } else {
                relative = URL(fileURLWithPath: path).lastPathComponent  // a single file
            }
        } else if let scheme = path.range(of: "://") {
            relative = String(path[scheme.upperBound...])
        }
        // No way out of OUT: empty and "." parts dropped, ".." made harmless.
        let parts = relative.split(separator: "/").filter { $0 != "." }.map { $0 == ".." ? "_" : String($0) }
        var name = parts.joined(separator: "/")
        if let dot = name.lastIndex(of: "."), !name[dot...].contains("/") { name = String(name[..<dot]) }
        return (name.isEmpty ? "_" : name) + ".ppm"
    }
}
