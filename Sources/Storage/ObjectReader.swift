import Foundation

/// Reads the bytes of one input object.
public enum ObjectReader {
    /// Largest object read into memory; larger files are refused instead of exhausting memory.
    public static let maxObjectBytes = 256 << 20

    /// The bytes of the local file `path`.
    public static func readLocal(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw StorageError(path, exists ? "permission denied or unreadable" : "no such file")
        }
        defer { try? handle.close() }
        do {
            let size = try handle.seekToEnd()
            guard size <= UInt64(maxObjectBytes) else {
                throw StorageError(path, "file is \(size) bytes, over the \(maxObjectBytes)-byte limit")
            }
            try handle.seek(toOffset: 0)
            let data = try handle.readToEnd() ?? Data()
            return [UInt8](data)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(path, "read failed (\(error.localizedDescription))")
        }
    }
}
