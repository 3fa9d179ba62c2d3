import Foundation
import Testing
import Parquet
import Pipeline
import TestSupport

/// Bad input must give a clear `ParquetError` naming the file, never a crash.
@Suite struct CorruptFileTests {
    /// A small valid file with every feature the reader meets in imgfeat's own output.
    static func validFile(compression: ParquetCompression = .snappy, pageVersion: Int = 1,
                          dictionary: ParquetWriterOptions.Dictionary = .auto) throws -> [UInt8] {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("valid.parquet")
        var options = ParquetWriterOptions()
        options.dataPageVersion = pageVersion
        options.dictionary = dictionary
        let writer = try ParquetWriter(url: url, schema: .features, compression: compression,
                                       metadata: ["k": "v"], rowGroupRows: 9, options: options)
        let n = 20, d = 13
        try writer.append(FeatureRows(paths: TestData.paths(n, prefix: "fuzz"), labels: TestData.labelColumn(n, seed: 5),
                                      values: TestData.floats(n * d, seed: 5), dimension: d))
        try writer.close()
        return [UInt8](try Data(contentsOf: url))
    }

    /// Writes `bytes` to a file and reads every column of every row group; returns the error, if any.
    static func readAll(_ bytes: [UInt8], in folder: URL, name: String = "input.parquet") -> Error? {
        let url = folder.appendingPathComponent(name)
        do {
            try Data(bytes).write(to: url)
            let reader = try ParquetFileReader(url: url)
            for g in 0..<reader.rowGroupCount {
                for column in reader.columnNames {
                    if column == "features" {
                        _ = try reader.readVectors(column, rowGroup: g)
                    } else {
                        _ = try reader.readStrings(column, rowGroup: g)
                    }
                }
            }
            return nil
        } catch {
            return error
        }
    }

    private func expectError(_ bytes: [UInt8], containing words: [String]) throws {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = Self.readAll(bytes, in: folder, name: "bad.parquet")
        guard let e = error as? ParquetError else {
            Issue.record("expected a ParquetError, got \(String(describing: error))")
            return
        }
        #expect(e.description.contains("bad.parquet"), "error names the file: \(e)")
        #expect(!e.description.contains("\n"), "one line: \(e)")
        for w in words { #expect(e.description.contains(w), "error mentions \(w): \(e)") }
    }

    @Test func validFileReads() throws {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(Self.readAll(try Self.validFile(), in: folder) == nil)
    }

    @Test func wrongMagic() throws {
        var bytes = try Self.validFile()
        bytes[0] = UInt8(ascii: "Q")
        try expectError(bytes, containing: ["magic"])
        var tail = try Self.validFile()
        tail[tail.count - 1] = 0
        try expectError(tail, containing: ["magic"])
    }

    @Test func truncatedFooter() throws {
        let bytes = try Self.validFile()
        // Cut the file anywhere in the footer: the trailer is gone or the length no longer fits.
        for cut in [bytes.count - 1, bytes.count - 8, bytes.count - 40, 11, 4] {
            try expectError(Array(bytes[0..<cut]), containing: [])
        }
        try expectError(Array(bytes[0..<(bytes.count - 8)]) + [0xFF, 0xFF, 0xFF, 0x7F] + Array("PAR1".utf8),
                        containing: ["footer length"])
    }

    @Test func absurdListLengthInFooter() throws {
        // FileMetaData { 1: version = 1, 2: schema = list of 2^32-1 structs } and nothing more.
        let footer: [UInt8] = [0x15, 0x02, 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]
        let n = UInt32(footer.count)
        let bytes = Array("PAR1".utf8) + footer + [UInt8(n), 0, 0, 0] + Array("PAR1".utf8)
        try expectError(bytes, containing: ["corrupt footer", "exceeds"])
    }

    @Test func corruptPage() throws {
        var bytes = try Self.validFile(compression: .snappy)
        // The float pages sit after the string chunks; overwrite the middle of the data region.
        let start = bytes.count / 3, end = bytes.count / 2
        var g = SeededGenerator(seed: 11)
        for i in start..<end { bytes[i] = UInt8(truncatingIfNeeded: g.next()) }
        try expectError(bytes, containing: ["column"])
    }

    @Test func wrongColumnType() throws {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("typed.parquet")
        try Data(try Self.validFile()).write(to: url)
        let reader = try ParquetFileReader(url: url)
        #expect(throws: ParquetError.self) { try reader.readVectors("path", rowGroup: 0) }
        #expect(throws: ParquetError.self) { try reader.readStrings("features", rowGroup: 0) }
        let missing = #expect(throws: ParquetError.self) { try reader.readStrings("nope", rowGroup: 0) }
        #expect(missing?.description.contains("no column named nope") == true)
        #expect(throws: ParquetError.self) { try reader.readStrings("path", rowGroup: 99) }
    }

    @Test func notAParquetFolder() throws {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("_SUCCESS").path, contents: Data())
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(".hidden").path, contents: Data([1]))
        #expect(throws: ParquetError.self) { try ParquetDataset(url: folder) }
        #expect(throws: ParquetError.self) { try ParquetDataset(url: folder.appendingPathComponent("absent")) }
    }

    /// Thousands of mutated files (bit flips, truncations, splices) from a fixed seed: each must read
    /// or throw, and a throw must be a ParquetError.
    @Test(arguments: [(ParquetCompression.snappy, 1), (.zstd, 2), (.uncompressed, 1), (.gzip, 2)])
    func fuzz(_ compression: ParquetCompression, _ pageVersion: Int) throws {
        let original = try Self.validFile(compression: compression, pageVersion: pageVersion,
                                          dictionary: pageVersion == 2 ? .always : .auto)
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var g = SeededGenerator(seed: UInt64(compression.label.count * 10 + pageVersion))
        var errors = 0, otherErrors: [String] = []
        let iterations = 1500
        for _ in 0..<iterations {
            var bytes = original
            switch g.next() % 4 {
            case 0:
                for _ in 0..<(1 + g.next() % 8) {
                    let i = Int(g.next() % UInt64(bytes.count))
                    bytes[i] ^= 1 << UInt8(g.next() % 8)
                }
            case 1:
                bytes = Array(bytes[0..<Int(g.next() % UInt64(bytes.count))])
            case 2:
                let a = Int(g.next() % UInt64(bytes.count)), b = Int(g.next() % UInt64(bytes.count))
                let n = Int(g.next() % 64)
                let piece = Array(bytes[a..<min(bytes.count, a + n)])
                bytes.replaceSubrange(b..<min(bytes.count, b + Int(g.next() % 64)), with: piece)
            default:
                // Random bytes over the footer, where lengths and offsets live.
                let footerStart = max(0, bytes.count - 300)
                let i = footerStart + Int(g.next() % UInt64(bytes.count - footerStart))
                bytes[i] = UInt8(truncatingIfNeeded: g.next())
            }
            if let e = Self.readAll(bytes, in: folder) {
                errors += 1
                if !(e is ParquetError) { otherErrors.append("\(e)") }
            }
        }
        #expect(otherErrors.isEmpty, "non-Parquet errors: \(otherErrors.prefix(3))")
        // Most mutations must be caught; a reader that never looked would fail this.
        #expect(errors > iterations / 3, "only \(errors) of \(iterations) mutated files were rejected")
    }
}
