// Times imgfeat's CPU PCA fit (statistics in batches, then the eigen-decomposition) on raw float32
// features, for bench/pca_bench.py; with `--eigen 1`, the eigen step alone on one set of statistics:
// LAPACK dgesdd, the subspace iteration's host face and (`--device vulkan`) its Vulkan face, interleaved
// run by run (bench/pca_eigen_bench.sh). Prints one JSON line per timed run.
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
            throw BenchError(description: "imgfeat-bench-pca: usage: --features FILE --dim D [--k K] [--batch B] [--runs R] [--device cpu|vulkan] [--eigen 1]")
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
    if options["eigen"] == "1" {
        try benchEigen(features, n: n, d: d, k: k, runs: runs, vulkan: options["device"] == "vulkan")
        return
    }
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

/// The eigen step alone, on the statistics of all rows: each solver once per round, rounds interleaved.
func benchEigen(_ features: [Float], n: Int, d: Int, k: Int, runs: Int, vulkan: Bool) throws {
    var statistics = try PCAStatistics(dimension: d)
    try statistics.add(rows: features, count: n)
    let context = try vulkan ? openContext() : nil
    for run in 0..<runs {
        var t0 = Date()
        let lapack = try PCAModel.fit(statistics, k: k)
        print("{\"solver\":\"lapack-dgesdd\",\"run\":\(run),\"d\":\(d),\"k\":\(k),\"eigen_s\":\(Date().timeIntervalSince(t0)),\"ev0\":\(lapack.explainedVariance[0])}")
        let host = SubspaceTrace()
        t0 = Date()
        let hostModel = try PCAModel.fitBySubspaceIteration(statistics, k: k, trace: host)
        print(traceLine("host-subspace-iteration", run, d, k, Date().timeIntervalSince(t0), host, hostModel, "host"))
        if let context {
            let device = SubspaceTrace()
            t0 = Date()
            let model = try PCAModel.fit(statistics, k: k, context: context, trace: device)
            print(traceLine("vulkan-subspace-iteration", run, d, k, Date().timeIntervalSince(t0), device, model, context.info.name))
        }
    }
}

func traceLine(_ solver: String, _ run: Int, _ d: Int, _ k: Int, _ seconds: Double, _ trace: SubspaceTrace,
               _ model: PCAModel, _ device: String) -> String {
    "{\"solver\":\"\(solver)\",\"device\":\"\(device)\",\"run\":\(run),\"d\":\(d),\"k\":\(k),\"eigen_s\":\(seconds),"
        + "\"products\":\(trace.products),\"steps\":\(trace.steps),\"product_s\":\(trace.productSeconds),"
        + "\"setup_s\":\(trace.setupSeconds),\"host_s\":\(seconds - trace.productSeconds - trace.setupSeconds),"
        + "\"ev0\":\(model.explainedVariance[0])}"
}

func openContext() throws -> VulkanContext {
    let environment = ProcessInfo.processInfo.environment
    return try VulkanContext(options: VulkanOptions(validation: environment["IMGFEAT_VULKAN_VALIDATION"] == "1",
                                                    loaderPath: environment["IMGFEAT_VULKAN_LOADER"]))
}

do { try main() } catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
