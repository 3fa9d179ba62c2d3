import Foundation
import Parquet

/// Reads a features table (a Parquet file or a folder of parts, as imgfeat or Spark wrote it) one row
/// group at a time, so memory stays bounded by a row group whatever the table's size.
struct FeatureTable {
    let files: [URL]
    /// Name of the vector column: `features` for imgfeat's and the notebook's tables.
    var column = "features"

    init(path: String, column: String = "features") throws {
        self.column = column
        files = try Self.partFiles(path)
    }

    /// The data files of a table: the file itself, or the folder's `*.parquet` files that are not hidden
    /// or `_`-prefixed (Spark's rule), sorted by name.
    static func partFiles(_ path: String) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PipelineError("\(path): no such file or folder")
        }
        let url = URL(fileURLWithPath: path)
        guard isDirectory.boolValue else { return [url] }
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
            .filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") && $0.lowercased().hasSuffix(".parquet") }
            .sorted()
        guard !names.isEmpty else { throw PipelineError("\(path): no Parquet files in the folder") }
        return names.map { url.appendingPathComponent($0) }
    }

    /// One row group of the table.
    struct Chunk {
        var file: URL
        var paths: [String]
        var labels: [String]
        var vectors: [Float]
        var dimension: Int
        var count: Int { paths.count }
    }

    /// Calls `body` with each row group in file order.
    func forEachChunk(_ body: (Chunk) throws -> Void) throws {
        for file in files {
            let reader = try ParquetFileReader(url: file)
            for group in 0..<reader.rowGroupCount {
                let vectors = try reader.readVectors(column, rowGroup: group)
                guard vectors.count > 0 else { continue }
                guard vectors.nullRows.isEmpty else {
                    throw PipelineError("\(file.path): column \(column) has null vectors in row group \(group)")
                }
                guard let dimension = vectors.uniformDimension else {
                    throw PipelineError("\(file.path): feature vectors of different lengths in column \(column)")
                }
                let paths = reader.columnNames.contains("path")
                    ? try reader.readStrings("path", rowGroup: group).map { $0 ?? "" } : Array(repeating: "", count: vectors.count)
                let labels = reader.columnNames.contains("label")
                    ? try reader.readStrings("label", rowGroup: group).map { $0 ?? "" } : Array(repeating: "", count: vectors.count)
                try body(Chunk(file: file, paths: paths, labels: labels, vectors: vectors.floats, dimension: dimension))
            }
        }
    }
}
