import Foundation
import Testing
import Parquet
import TestSupport

/// Reads files written by pyarrow and Spark (all list layouts, codecs, page versions, string
/// encodings) and compares every row with the raw values the writers were given, bit for bit.
@Suite struct ReaderFixtureTests {
    @Test(arguments: FixtureManifest.names(in: FixtureManifest.generatedFolder))
    func generatedCase(_ name: String) throws {
        try check(name, in: FixtureManifest.generatedFolder)
    }

    @Test(arguments: FixtureManifest.names(in: FixtureManifest.committedFolder))
    func committedCase(_ name: String) throws {
        try check(name, in: FixtureManifest.committedFolder)
    }

    @Test func generatedSetHasSparkLayouts() throws {
        let cases = try FixtureManifest.cases(in: FixtureManifest.generatedFolder)
        #expect(cases.filter { $0.writer == "spark" }.count >= 6, "Spark cases missing: run scripts/fixtures/generate.sh with pyspark installed")
    }

    private func check(_ name: String, in folder: URL) throws {
        let all = try FixtureManifest.cases(in: folder)
        guard let c = all.first(where: { $0.name == name }) else {
            throw MissingFixture(description: "case \(name): run scripts/fixtures/generate.sh")
        }
        let raw = folder.appendingPathComponent(c.values)
        let expectedBits: [UInt64] = c.element == "float"
            ? try FixtureManifest.readRaw(raw, as: UInt32.self).map { UInt64($0) }
            : try FixtureManifest.readRaw(raw, as: UInt64.self)
        // Expected rows by path (Spark's part order need not be the input order).
        var starts: [Int] = [], k = 0
        for n in c.lengths { starts.append(k); k += max(n, 0) }
        let rowOf = Dictionary(uniqueKeysWithValues: c.paths.enumerated().map { ($1, $0) })

        let dataset = try ParquetDataset(url: folder.appendingPathComponent(c.location))
        var seen = Set<Int>()
        try dataset.forEachBatch(vectorColumn: "features", stringColumns: ["path", "label"]) { batch in
            let paths = batch.strings["path"]!, labels = batch.strings["label"]!
            let bits: [UInt64]
            switch batch.vectors.values {
            case .float(let v):
                #expect(c.element == "float")
                bits = v.map { UInt64($0.bitPattern) }
            case .double(let v):
                #expect(c.element == "double")
                bits = v.map { $0.bitPattern }
            }
            for r in 0..<batch.count {
                guard let path = paths[r], let row = rowOf[path] else {
                    Issue.record("\(name): unexpected path \(String(describing: paths[r]))")
                    continue
                }
                seen.insert(row)
                #expect(labels[r] == c.labels[row], "\(name) row \(row): label")
                let length = c.lengths[row]
                let isNull = batch.vectors.nullRows.contains(r)
                #expect(isNull == (length < 0), "\(name) row \(row): null list")
                let got = bits[batch.vectors.offsets[r]..<batch.vectors.offsets[r + 1]]
                let want = expectedBits[starts[row]..<(starts[row] + max(length, 0))]
                if let i = firstBitMismatch(Array(got), Array(want)) {
                    Issue.record("\(name) row \(row): first mismatch at element \(i): expected \(i < want.count ? String(want[want.startIndex + i], radix: 16) : "end"), got \(i < got.count ? String(got[got.startIndex + i], radix: 16) : "end") (lengths \(want.count) vs \(got.count))")
                }
            }
        }
        #expect(seen.count == c.paths.count, "\(name): read \(seen.count) of \(c.paths.count) rows")
    }
}

/// Index of the first differing element (or the shorter length when one is a prefix of the other).
func firstBitMismatch(_ got: [UInt64], _ want: [UInt64]) -> Int? {
    for i in 0..<min(got.count, want.count) where got[i] != want[i] { return i }
    return got.count == want.count ? nil : min(got.count, want.count)
}
