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
        // The data files: the file itself, or the folder's parts by Spark's rule (ParquetDataset).
        files = try ParquetDataset(url: URL(fileURLWithPath: path)).files
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
