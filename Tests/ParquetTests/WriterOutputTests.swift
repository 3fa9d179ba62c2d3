import Foundation
import Testing
import Parquet
import Pipeline
import TestSupport

/// Writes imgfeat Parquet files into .fixtures/parquet-out with the values they must hold, for
/// pyarrow, DuckDB and Spark to check (Tests/python/test_parquet_written.py), and reads each back.
@Suite struct WriterOutputTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var table: String
        var rows: Int
        var dimension: Int
        var compression: ParquetCompression
        var rowGroupRows: Int
        var pageVersion: Int
        var dictionary: ParquetWriterOptions.Dictionary
        var pageBytes = 1 << 20
        var specials = false
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "features_snappy", table: "features", rows: 300, dimension: 1280, compression: .snappy,
             rowGroupRows: 128, pageVersion: 1, dictionary: .auto, pageBytes: 64 << 10),
        Case(name: "features_zstd_v2_specials", table: "features", rows: 77, dimension: 13, compression: .zstd,
             rowGroupRows: 1000, pageVersion: 2, dictionary: .always, specials: true),
        Case(name: "features_uncompressed_dim1", table: "features", rows: 3, dimension: 1, compression: .uncompressed,
             rowGroupRows: 1, pageVersion: 1, dictionary: .never),
        Case(name: "features_empty", table: "features", rows: 0, dimension: 1280, compression: .snappy,
             rowGroupRows: 10, pageVersion: 1, dictionary: .auto),
        Case(name: "pca_gzip", table: "pca", rows: 127, dimension: 50, compression: .gzip,
             rowGroupRows: 50, pageVersion: 1, dictionary: .auto),
        Case(name: "pca_snappy_v2_plain", table: "pca", rows: 13, dimension: 3, compression: .snappy,
             rowGroupRows: 5, pageVersion: 2, dictionary: .never),
        Case(name: "errors_zstd", table: "errors", rows: 20, dimension: 0, compression: .zstd,
             rowGroupRows: 8, pageVersion: 1, dictionary: .auto),
    ]

    static let metadata = ["imgfeat.version": "0.1.0", "imgfeat.model.alpha": "1.0",
                           "imgfeat.weights": "random:7", "clé é": "valeur\nsur deux lignes"]

    @Test(arguments: cases)
    func writeAndReadBack(_ c: Case) throws {
        try TestData.prepareOutputFolder()
        let url = TestData.outputFolder.appendingPathComponent(c.name + ".parquet")
        var options = ParquetWriterOptions()
        options.dataPageVersion = c.pageVersion
        options.dictionary = c.dictionary
        options.pageBytes = c.pageBytes
        let seed = UInt64(c.name.utf8.reduce(0) { $0 &* 31 &+ Int($1) } & 0xFFFF)
        let paths = TestData.paths(c.rows, prefix: c.name)
        let labels = TestData.labelColumn(c.rows, seed: seed)
        let schema: ParquetSchema = c.table == "features" ? .features : c.table == "pca" ? .pca : .errors
        let writer = try ParquetWriter(url: url, schema: schema, compression: c.compression, metadata: Self.metadata,
                                       rowGroupRows: c.rowGroupRows, options: options)
        var expectation: [String: Any] = [
            "file": c.name + ".parquet", "table": c.table, "rows": c.rows, "dimension": c.dimension,
            "compression": c.compression.label, "row_group_rows": c.rowGroupRows, "page_version": c.pageVersion,
            "metadata": Self.metadata, "path": paths,
        ]
        // Appended in uneven batches so row groups straddle batch boundaries.
        let cuts = [0, c.rows / 3, c.rows / 3 + 1, c.rows].map { min($0, c.rows) }
        switch c.table {
        case "features":
            var values = TestData.floats(c.rows * c.dimension, seed: seed)
            if c.specials {
                let s: [Float] = [0, -0.0, .leastNonzeroMagnitude, .infinity, -.infinity, .greatestFiniteMagnitude,
                                  .nan, -.leastNormalMagnitude]
                for (i, v) in s.enumerated() where i < values.count { values[i * 7 % values.count] = v }
            }
            for k in 0..<3 where cuts[k] < cuts[k + 1] {
                let r = cuts[k]..<cuts[k + 1]
                try writer.append(FeatureRows(paths: Array(paths[r]), labels: Array(labels[r]),
                                              values: Array(values[(r.lowerBound * c.dimension)..<(r.upperBound * c.dimension)]),
                                              dimension: c.dimension))
            }
            try TestData.writeRaw(values, to: TestData.outputFolder.appendingPathComponent(c.name + ".f32"))
            expectation["label"] = labels
            expectation["vector_column"] = "features"
            expectation["element"] = "float"
            expectation["values"] = c.name + ".f32"
            try writer.close()
            try readBack(url, c, paths: paths, labels: labels, bits: values.map { UInt64($0.bitPattern) })
        case "pca":
            let values = TestData.doubles(c.rows * c.dimension, seed: seed)
            for k in 0..<3 where cuts[k] < cuts[k + 1] {
                let r = cuts[k]..<cuts[k + 1]
                try writer.append(PCARows(paths: Array(paths[r]), labels: Array(labels[r]),
                                          values: Array(values[(r.lowerBound * c.dimension)..<(r.upperBound * c.dimension)]),
                                          dimension: c.dimension))
            }
            try TestData.writeRaw(values, to: TestData.outputFolder.appendingPathComponent(c.name + ".f64"))
            expectation["label"] = labels
            expectation["vector_column"] = "pca_features"
            expectation["element"] = "double"
            expectation["values"] = c.name + ".f64"
            try writer.close()
            try readBack(url, c, paths: paths, labels: labels, bits: values.map { $0.bitPattern })
        default:
            let stages = labels.map { $0.isEmpty ? "decode" : "fetch" }
            let messages = (0..<c.rows).map { "image \($0): \"bad\" data,\nline two ✗" }
            try writer.append(ErrorRows(paths: paths, stages: stages, messages: messages))
            expectation["stage"] = stages
            expectation["message"] = messages
            try writer.close()
            let reader = try ParquetFileReader(url: url)
            var got: [String?] = []
            for g in 0..<reader.rowGroupCount { got += try reader.readStrings("message", rowGroup: g) }
            #expect(got == messages.map { Optional($0) })
        }
        #expect(writer.rowsWritten == c.rows)
        #expect(writer.rowGroupsWritten == (c.rows + c.rowGroupRows - 1) / c.rowGroupRows)
        try TestData.writeExpectation(c.name, expectation)
    }

    private func readBack(_ url: URL, _ c: Case, paths: [String], labels: [String], bits: [UInt64]) throws {
        let reader = try ParquetFileReader(url: url)
        #expect(reader.metadata == Self.metadata)
        #expect(reader.rowCount == c.rows)
        var gotPaths: [String?] = [], gotLabels: [String?] = [], gotBits: [UInt64] = []
        let column = c.table == "features" ? "features" : "pca_features"
        for g in 0..<reader.rowGroupCount {
            gotPaths += try reader.readStrings("path", rowGroup: g)
            gotLabels += try reader.readStrings("label", rowGroup: g)
            let v = try reader.readVectors(column, rowGroup: g)
            #expect(v.count == 0 || v.uniformDimension == c.dimension)
            switch v.values {
            case .float(let f): gotBits += f.map { UInt64($0.bitPattern) }
            case .double(let d): gotBits += d.map { $0.bitPattern }
            }
        }
        #expect(gotPaths == paths.map { Optional($0) })
        #expect(gotLabels == labels.map { Optional($0) })
        if let i = firstBitMismatch(gotBits, bits) {
            Issue.record("\(c.name): element \(i): expected \(i < bits.count ? bits[i] : 0), got \(i < gotBits.count ? gotBits[i] : 0)")
        }
    }

    /// A Spark-style folder whose parts are written out of order, then committed.
    @Test func partitionedFolder() throws {
        try TestData.prepareOutputFolder()
        let folder = TestData.outputFolder.appendingPathComponent("features_parts")
        try? FileManager.default.removeItem(at: folder)
        let output = try PartitionedOutput(directory: folder, schema: .features, metadata: Self.metadata, rowGroupRows: 4)
        let dimension = 5, perPart = 6
        let paths = TestData.paths(3 * perPart, prefix: "parts")
        let labels = TestData.labelColumn(paths.count, seed: 99)
        let values = TestData.floats(paths.count * dimension, seed: 99)
        for part in [2, 0, 1] {
            let r = (part * perPart)..<((part + 1) * perPart)
            try output.writePart(index: part, rows: FeatureRows(paths: Array(paths[r]), labels: Array(labels[r]),
                                                               values: Array(values[(r.lowerBound * dimension)..<(r.upperBound * dimension)]),
                                                               dimension: dimension))
            #expect(!output.isCommitted)
        }
        #expect(output.existingPartIndices() == [0, 1, 2])
        try output.commit()
        #expect(output.isCommitted)
        try TestData.writeRaw(values, to: TestData.outputFolder.appendingPathComponent("features_parts.f32"))
        try TestData.writeExpectation("features_parts", [
            "file": "features_parts", "table": "features", "rows": paths.count, "dimension": dimension,
            "compression": "SNAPPY", "row_group_rows": 4, "page_version": 1, "metadata": Self.metadata,
            "path": paths, "label": labels, "vector_column": "features", "element": "float",
            "values": "features_parts.f32", "run_id": output.runID, "parts": 3,
        ])
        var readPaths: [String?] = []
        try ParquetDataset(url: folder).forEachBatch(vectorColumn: "features") { readPaths += $0.strings["path"]! }
        #expect(readPaths == paths.map { Optional($0) })
    }
}
