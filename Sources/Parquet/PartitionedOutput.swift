import Common
import Foundation

/// A Spark-style output folder: `part-NNNNN-<uuid>.<codec>.parquet` files, each written under a
/// hidden temporary name and renamed into place when complete, and an empty `_SUCCESS` written last
/// by `commit()`.
public final class PartitionedOutput: @unchecked Sendable {
    public let directory: URL
    public let schema: ParquetSchema
    public let compression: ParquetCompression
    public let metadata: [String: String]
    public let rowGroupRows: Int
    public let options: ParquetWriterOptions
    /// The unique part of every part file name of this output (Spark uses one per job).
    public let runID: String

    /// Creates the folder if needed; `runID` defaults to a fresh UUID.
    public init(directory: URL, schema: ParquetSchema, compression: ParquetCompression = .snappy,
                metadata: [String: String] = [:], rowGroupRows: Int = 8192,
                options: ParquetWriterOptions = ParquetWriterOptions(), runID: String = UUID().uuidString.lowercased()) throws {
        self.directory = directory
        self.schema = schema
        self.compression = compression
        self.metadata = metadata
        self.rowGroupRows = rowGroupRows
        self.options = options
        self.runID = runID
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ParquetError(file: directory.path, "cannot create output folder: \(Self.blockingComponent(directory.path))")
        }
    }

    /// The first component of `path` that is missing a folder's role, in errno's words (Foundation's own
    /// message on Linux is "NSCocoaErrorDomain error 512").
    static func blockingComponent(_ path: String) -> String {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            if stat(prefix, &info) != 0 {
                guard errno == ENOENT else { return "\(prefix): \(String(cString: strerror(errno)))" }
                let parent = (prefix as NSString).deletingLastPathComponent
                return access(parent, W_OK) == 0 ? "cannot create \(prefix)" : "\(parent): permission denied"
            }
            if (info.st_mode & S_IFMT) != S_IFDIR { return "\(prefix) is not a folder" }
        }
        return access(path, W_OK) == 0 ? "unknown cause" : "\(path): permission denied"
    }

    /// The final file name of part `index`: `part-00007-<runID>.snappy.parquet`.
    public func partFileName(index: Int) -> String {
        let number = String(format: "%05d", index)
        let infix = compression.fileNameInfix.map { ".\($0)" } ?? ""
        return "part-\(number)-\(runID)\(infix).parquet"
    }

    /// Part indices already present in the folder (complete files only), for resuming a run.
    public func existingPartIndices() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("part-"), name.hasSuffix(".parquet") else { return nil }
            return Int(name.dropFirst(5).prefix(while: { $0.isNumber }))
        }.sorted()
    }

    /// Writes a whole part from batches produced by `body`, which receives the open writer; the part
    /// appears under its final name only once complete. Returns the final URL.
    @discardableResult
    public func writePart(index: Int, _ body: (ParquetWriter) throws -> Void) throws -> URL {
        guard index >= 0 else { throw ParquetError(file: directory.path, "negative part index \(index)") }
        let final = directory.appendingPathComponent(partFileName(index: index))
        // AtomicFile's hidden dot prefix: Spark and imgfeat's reader both skip the part while incomplete.
        do {
            try AtomicFile.write(to: final) { temporary in
                let writer = try ParquetWriter(url: temporary, schema: schema, compression: compression,
                                               metadata: metadata, rowGroupRows: rowGroupRows, options: options)
                try body(writer)
                try writer.close()
            }
        } catch let error as AtomicFileError {
            throw ParquetError(file: error.path, error.reason)
        }
        return final
    }

    /// Writes one typed batch as part `index`.
    @discardableResult
    public func writePart<R: ParquetRows>(index: Int, rows: R) throws -> URL {
        try writePart(index: index) { try $0.append(rows) }
    }

    /// Marks the output complete by writing an empty `_SUCCESS`; call it after the last part.
    public func commit() throws {
        let url = directory.appendingPathComponent("_SUCCESS")
        guard FileManager.default.createFile(atPath: url.path, contents: Data()) else {
            throw ParquetError(file: url.path, "cannot write _SUCCESS")
        }
    }

    /// Whether the folder has been committed.
    public var isCommitted: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("_SUCCESS").path)
    }
}
