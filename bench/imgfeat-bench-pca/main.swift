// Times imgfeat's CPU PCA fit (statistics in batches, then the eigen-decomposition) on raw float32
// features, for bench/pca_bench.py. Prints one JSON line per timed run.
import Foundation
import PCA
import VulkanRuntime

struct BenchError: Error, CustomStringConvertible {
    let description: String
}

func arguments() throws -> [String: String] {
    var options: [String: String] = [:]
    var args = CommandLine.arguments.dropFirst()
    while let key = args.popFirst() {
        guard key.hasPrefix("--"), let value = args.popFirst() else {
            throw BenchError(description: "imgfeat-bench-pca: usage: --features FILE --dim D [--k K] [--batch B] [--runs R] [--device cpu|vulkan]")
        }
        options[String(key.dropFirst(2))] = value
    }
    return options
}

func integer(_ options: [String: String], _ key: String, _ fallback: Int?) throws -> Int {
    if let text = options[key] {
        guard let v = Int(text), v > 0 else { throw BenchError(description: "imgfeat-bench-pca: --\(key) \(text) is not a positive integer") }
        return v
    }
    guard let fallback else { throw BenchError(description: "imgfeat-bench-pca: --\(key) is required") }
    return fallback
}

func main() throws {
    let options = try arguments()
    guard let path = options["features"] else { throw BenchError(description: "imgfeat-bench-pca: --features is required") }
    let d = try integer(options, "dim", nil)
    let k = try integer(options, "k", 50)
    let batch = try integer(options, "batch", 1024)
    let runs = try integer(options, "runs", 3)
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let n = data.count / (4 * d)
    guard n * d * 4 == data.count else { throw BenchError(description: "imgfeat-bench-pca: \(path) is not n×\(d) float32") }
    let features: [Float] = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    if options["device"] == "vulkan" {
        try benchVulkan(features, n: n, d: d, k: k, batch: batch, runs: runs)
        return
    }
    for run in 0..<runs {
        let t0 = Date()
        var statistics = try PCAStatistics(dimension: d)
        var start = 0
        while start < n {
            let end = min(start + batch, n)
            try statistics.add(rows: Array(features[(start * d)..<(end * d)]), count: end - start)
            start = end
        }
        let t1 = Date()
        let model = try PCAModel.fit(statistics, k: k)
        let t2 = Date()
        let total = t2.timeIntervalSince(t0)
        print("{\"tool\":\"imgfeat\",\"run\":\(run),\"n\":\(n),\"d\":\(d),\"k\":\(k),\"statistics_s\":\(t1.timeIntervalSince(t0)),\"eigen_s\":\(t2.timeIntervalSince(t1)),\"total_s\":\(total),\"ev0\":\(model.explainedVariance[0])}")
    }
}

/// The GPU path: statistics accumulated by pca_syrk.comp, then the subspace solver.
func benchVulkan(_ features: [Float], n: Int, d: Int, k: Int, batch: Int, runs: Int) throws {
    let environment = ProcessInfo.processInfo.environment
    let context = try VulkanContext(options: VulkanOptions(validation: environment["IMGFEAT_VULKAN_VALIDATION"] == "1",
                                                           loaderPath: environment["IMGFEAT_VULKAN_LOADER"]))
    for run in 0..<runs {
        let t0 = Date()
        let gpu = try PCAStatistics.Vulkan(context: context, dimension: d)
        var start = 0
        while start < n {
            let end = min(start + batch, n)
            try gpu.add(rows: Array(features[(start * d)..<(end * d)]), count: end - start)
            start = end
        }
        let statistics = try gpu.statistics()
        let t1 = Date()
        let model = try PCAModel.fit(statistics, k: k, context: context)
        let t2 = Date()
        print("{\"tool\":\"imgfeat-vulkan\",\"device\":\"\(context.info.name)\",\"run\":\(run),\"n\":\(n),\"d\":\(d),\"k\":\(k),\"statistics_s\":\(t1.timeIntervalSince(t0)),\"eigen_s\":\(t2.timeIntervalSince(t1)),\"total_s\":\(t2.timeIntervalSince(t0)),\"ev0\":\(model.explainedVariance[0])}")
    }
}

do { try main() } catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
