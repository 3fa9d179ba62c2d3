import Foundation
import Testing
import Parquet
import Pipeline
import TestSupport

/// Write and read throughput of imgfeat's Parquet code, run by bench/parquet_bench.py with
/// IMGFEAT_BENCH=1 on the data that script prepared (the same data it gives pyarrow).
@Suite struct ParquetBenchmark {
    /// CPU seconds used by the whole process (all threads), less sensitive to other load than wall time.
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    static let enabled = ProcessInfo.processInfo.environment["IMGFEAT_BENCH"] == "1"

    @Test(.enabled(if: enabled, "set IMGFEAT_BENCH=1 (bench/parquet_bench.py does)"))
    func writeAndReadThroughput() throws {
        let env = ProcessInfo.processInfo.environment
        guard let dir = env["IMGFEAT_BENCH_DIR"] else {
            Issue.record("IMGFEAT_BENCH_DIR is not set: run bench/parquet_bench.py")
            return
        }
        let folder = URL(fileURLWithPath: dir)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("data.json"))) as? [String: Any]
        guard let rows = info?["rows"] as? Int, let dimension = info?["dimension"] as? Int,
              let paths = info?["paths"] as? [String], let labels = info?["labels"] as? [String] else {
            Issue.record("data.json is malformed")
            return
        }
        let runs = Int(env["IMGFEAT_BENCH_RUNS"] ?? "5") ?? 5
        let values = try FixtureManifest.readRaw(folder.appendingPathComponent("data.f32"), as: Float.self)
        #expect(values.count == rows * dimension)
        let batch = 1000
        var results: [String: Any] = ["rows": rows, "dimension": dimension, "runs": runs]
        for codec in [ParquetCompression.snappy, .zstd, .uncompressed] {
            let url = folder.appendingPathComponent("imgfeat_\(codec.label.lowercased()).parquet")
            var writeTimes: [Double] = [], readTimes: [Double] = [], writeCPU: [Double] = [], readCPU: [Double] = []
            for _ in 0..<runs {
                let t0 = Date(), c0 = Self.cpuSeconds()
                let writer = try ParquetWriter(url: url, schema: .features, compression: codec)
                var start = 0
                while start < rows {
                    let end = min(rows, start + batch)
                    try writer.append(FeatureRows(paths: Array(paths[start..<end]), labels: Array(labels[start..<end]),
                                                  values: Array(values[(start * dimension)..<(end * dimension)]),
                                                  dimension: dimension))
                    start = end
                }
                try writer.close()
                writeTimes.append(Date().timeIntervalSince(t0))
                writeCPU.append(Self.cpuSeconds() - c0)
                let t1 = Date(), c1 = Self.cpuSeconds()
                var n = 0
                try ParquetDataset(url: url).forEachBatch(vectorColumn: "features") { n += $0.count }
                readTimes.append(Date().timeIntervalSince(t1))
                readCPU.append(Self.cpuSeconds() - c1)
                #expect(n == rows)
            }
            results["write_\(codec.label.lowercased())_cpu"] = writeCPU
            results["read_\(codec.label.lowercased())_cpu"] = readCPU
            results["write_\(codec.label.lowercased())_s"] = writeTimes
            results["read_\(codec.label.lowercased())_s"] = readTimes
        }
        // Reading the file pyarrow wrote, when the script left one.
        let foreign = folder.appendingPathComponent("pyarrow_snappy.parquet")
        if FileManager.default.fileExists(atPath: foreign.path) {
            var times: [Double] = [], cpu: [Double] = []
            for _ in 0..<runs {
                let t = Date(), c = Self.cpuSeconds()
                var n = 0
                try ParquetDataset(url: foreign).forEachBatch(vectorColumn: "features") { n += $0.count }
                times.append(Date().timeIntervalSince(t))
                cpu.append(Self.cpuSeconds() - c)
                #expect(n == rows)
            }
            results["read_pyarrow_file_snappy_s"] = times
            results["read_pyarrow_file_snappy_cpu"] = cpu
        }
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        try data.write(to: folder.appendingPathComponent("swift.json"))
    }
}
