import Foundation
import Testing
import Parquet
import Pipeline
import TestSupport

/// A 100,000 × 1280 feature file (about 512 MB of floats) written batch by batch: the writer must
/// flush each row group as it fills instead of holding the table, and the file must read back exactly.
@Suite struct LargeFileTests {
    static let rows = 100_000, dimension = 1280, batchRows = 1000, rowGroupRows = 8192

    /// Cheap seeded floats: batch `b` is the same on write and on read back.
    static func batch(_ b: Int) -> [Float] {
        var g = SeededGenerator(seed: UInt64(b) &+ 0x5EED)
        return [Float](unsafeUninitializedCapacity: batchRows * dimension) { buf, n in
            var i = 0
            while i < batchRows * dimension {
                let r = g.next()
                buf[i] = Float(Int32(truncatingIfNeeded: r)) * 0x1p-28
                buf[i + 1] = Float(Int32(truncatingIfNeeded: r >> 32)) * 0x1p-28
                i += 2
            }
            n = batchRows * dimension
        }
    }

    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = Int(s.split(separator: " ")[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func hundredThousandRowsStreamInBoundedRowGroups() throws {
        let folder = try TestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("large.parquet")
        let writer = try ParquetWriter(url: url, schema: .features, compression: .snappy,
                                       metadata: ["imgfeat.test": "large"], rowGroupRows: Self.rowGroupRows)
        let startResident = Self.residentBytes()
        var peakResident = startResident
        let started = Date()
        for b in 0..<(Self.rows / Self.batchRows) {
            let paths = (0..<Self.batchRows).map { "img/\(b)/\($0).jpg" }
            try writer.append(FeatureRows(paths: paths, labels: Array(repeating: "L\(b % 7)", count: Self.batchRows),
                                          values: Self.batch(b), dimension: Self.dimension))
            let appended = (b + 1) * Self.batchRows
            // Every full row group is on disk already; only the partial one is buffered.
            #expect(writer.rowGroupsWritten == appended / Self.rowGroupRows)
            #expect(writer.rowsWritten == appended / Self.rowGroupRows * Self.rowGroupRows)
            let onDisk = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            #expect(onDisk >= writer.rowsWritten * Self.dimension * 4 / 2, "row groups not flushed: \(onDisk) bytes")
            peakResident = max(peakResident, Self.residentBytes())
        }
        try writer.close()
        let writeSeconds = Date().timeIntervalSince(started)
        #expect(writer.rowGroupsWritten == (Self.rows + Self.rowGroupRows - 1) / Self.rowGroupRows)
        print("large Parquet file: wrote \(Self.rows)×\(Self.dimension) in \(String(format: "%.2f", writeSeconds)) s; "
              + "resident memory grew by at most \((peakResident - startResident) >> 20) MiB while writing "
              + "(the table is \((Self.rows * Self.dimension * 4) >> 20) MiB)")

        // Read back a row group at a time and compare with the regenerated batches.
        var row = 0
        var expected: [Float] = [], expectedStart = 0
        try ParquetDataset(url: url).forEachBatch(vectorColumn: "features") { batch in
            #expect(batch.vectors.uniformDimension == Self.dimension)
            guard case .float(let got) = batch.vectors.values else {
                Issue.record("features read back as doubles")
                return
            }
            for r in 0..<batch.count {
                let b = (row + r) / Self.batchRows
                if b * Self.batchRows != expectedStart || expected.isEmpty {
                    expected = Self.batch(b)
                    expectedStart = b * Self.batchRows
                }
                let offset = (row + r - expectedStart) * Self.dimension
                let g = got[(r * Self.dimension)..<((r + 1) * Self.dimension)]
                let e = expected[offset..<(offset + Self.dimension)]
                if !g.elementsEqual(e, by: { $0.bitPattern == $1.bitPattern }) {
                    let i = zip(g, e).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }?.offset ?? 0
                    Issue.record("row \(row + r), element \(i): expected \(e[e.startIndex + i]), got \(g[g.startIndex + i])")
                    return
                }
            }
            #expect(batch.strings["path"]?.first == "img/\(row / Self.batchRows)/\(row % Self.batchRows).jpg")
            row += batch.count
        }
        #expect(row == Self.rows)
    }
}
