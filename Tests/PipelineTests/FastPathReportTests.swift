import Foundation
import Pipeline
import Testing

/// summary.json's `fastPaths` as earlier imgfeat versions wrote it still reads (a rerun on a finished output
/// reads its summary back), the fused-block fields taking their "not recorded" defaults.
@Suite struct FastPathReportTests {
    @Test func aSummaryFromBeforeTheFusedBlockFieldsStillReads() throws {
        let old = Data(#"{"active": ["fused-blocks"], "failed": [], "selfCheck": "passed (cached)"}"#.utf8)
        let report = try JSONDecoder().decode(FastPathReport.self, from: old)
        #expect(report.active == ["fused-blocks"] && report.selfCheck == "passed (cached)" && report.note == nil)
        #expect(report.fusedBlocks.isEmpty && report.blocks == 0 && report.fusedBlockChoice == "not recorded")
        let again = try JSONDecoder().decode(FastPathReport.self, from: JSONEncoder().encode(report))
        #expect(again == report)
    }
}
