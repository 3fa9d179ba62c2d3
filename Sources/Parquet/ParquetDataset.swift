import Foundation

/// One row group's worth of a vector column and some string columns.
public struct VectorBatch: Sendable {
    /// The file the rows come from.
    public var file: URL
    public var rowGroup: Int
    /// The requested string columns, by name; nulls read as nil.
    public var strings: [String: [String?]]
    /// The requested vector column.
    public var vectors: VectorColumn
    /// Number of rows.
    public var count: Int { vectors.count }
}

/// A Parquet file or a Spark-style folder of part files, read a row group at a time.
public struct ParquetDataset: Sendable {
    /// The data files, in name order.
    public let files: [URL]

    /// A single file, or the `*.parquet` files of a folder (any case) that are not hidden or
    /// `_`-prefixed (Spark's rule: `_SUCCESS`, `.crc` files and in-progress parts are skipped), sorted by
    /// name; throws when there is nothing to read.
    public init(url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ParquetError(file: url.path, "no such file or folder")
        }
        if !isDirectory.boolValue {
            files = [url]
            return
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: url.path)
        } catch {
            throw ParquetError(file: url.path, "cannot list folder: \(error.localizedDescription)")
        }
        files = names.filter { !$0.hasPrefix("_") && !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".parquet") }
            .sorted()
            .map { url.appendingPathComponent($0) }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        guard !files.isEmpty else { throw ParquetError(file: url.path, "folder holds no Parquet part files") }
    }

    /// Calls `body` for each row group of each file with `vectorColumn` and `stringColumns`; holds
    /// one row group in memory at a time.
    public func forEachBatch(vectorColumn: String, stringColumns: [String] = ["path", "label"],
                             _ body: (VectorBatch) throws -> Void) throws {
        for file in files {
            let reader = try ParquetFileReader(url: file)
            for g in 0..<reader.rowGroupCount {
                var strings: [String: [String?]] = [:]
                for name in stringColumns { strings[name] = try reader.readStrings(name, rowGroup: g) }
                let vectors = try reader.readVectors(vectorColumn, rowGroup: g)
                try body(VectorBatch(file: file, rowGroup: g, strings: strings, vectors: vectors))
            }
        }
    }

    /// Total rows over all files (reads only the footers).
    public func rowCount() throws -> Int {
        try files.reduce(0) { $0 + (try ParquetFileReader(url: $1).rowCount) }
    }

}
