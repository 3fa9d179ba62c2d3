// Network-only throughput of the fast CPU engine: images per second on a batch of preprocessed inputs,
// for bench/cpu_bench.sh. Prints one line per timed run and a final JSON summary line.
import Foundation
import Model

struct BenchError: Error, CustomStringConvertible {
    let description: String
}

func parseArguments() throws -> [String: String] {
    var options: [String: String] = [:]
    var args = CommandLine.arguments.dropFirst()
    while let key = args.popFirst() {
        guard key.hasPrefix("--") else { throw BenchError(description: "imgfeat-bench-cpu: unexpected argument \(key)") }
        if key == "--profile" { options["profile"] = "1"; continue }
        guard let value = args.popFirst() else { throw BenchError(description: "imgfeat-bench-cpu: \(key) needs a value") }
        options[String(key.dropFirst(2))] = value
    }
    return options
}

func number<T: LosslessStringConvertible>(_ options: [String: String], _ key: String, _ fallback: T) throws -> T {
    guard let text = options[key] else { return fallback }
    guard let value = T(text) else { throw BenchError(description: "imgfeat-bench-cpu: --\(key) \(text) is not a number") }
    return value
}

/// User plus system CPU time of the whole process (all threads), in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func main() throws {
    let options = try parseArguments()
    let alpha: Double = try number(options, "alpha", 1.0)
    let size: Int = try number(options, "size", 224)
    let batch: Int = try number(options, "batch", 64)
    let threads: Int = try number(options, "threads", ProcessInfo.processInfo.activeProcessorCount)
    let runs: Int = try number(options, "runs", 5)
    let seed: UInt64 = try number(options, "seed", 1)
    // The same Keras .h5 the other engines load, or seeded random weights (same speed, no file needed).
    let model = try loadModel(try WeightsSource(parsing: options["weights"] ?? "random:\(seed)"),
                              alpha: alpha, inputSize: size)
    // --kernels, else IMGFEAT_CPU_KERNELS, else the widest set this CPU runs.
    let kernels = try FastCPUEngineKernels(choice: options["kernels"] ?? ProcessInfo.processInfo.environment["IMGFEAT_CPU_KERNELS"],
                                           variable: options["kernels"] == nil ? "IMGFEAT_CPU_KERNELS" : "--kernels")
    let engine = FastCPUEngine(model: model, threads: threads, maxBatch: batch, kernels: kernels)
    var generator = SystemRandomNumberGenerator()
    let input = Tensor(batch: batch, height: size, width: size, channels: 3,
                       data: (0..<(batch * size * size * 3)).map { _ in Float.random(in: -1...1, using: &generator) })
    print("imgfeat fast CPU engine: alpha \(alpha), size \(size), batch \(batch), threads \(engine.threads), "
          + "kernels \(engine.kernels), weights \(model.weightsIdentity)")
    _ = try engine.features(input)  // warm-up: page in buffers, spin up threads
    var rates: [Double] = [], cpuRates: [Double] = []
    for run in 1...max(1, runs) {
        let start = Date(), startCPU = processCPUSeconds()
        _ = try engine.features(input)
        let seconds = Date().timeIntervalSince(start), cpu = processCPUSeconds() - startCPU
        rates.append(Double(batch) / seconds)
        cpuRates.append(Double(batch) / cpu)
        print(String(format: "run %d: %.3f s, %.1f images/s, %.1f images per CPU-second", run, seconds,
                     Double(batch) / seconds, Double(batch) / cpu))
    }
    let median = rates.sorted()[rates.count / 2]
    if options["profile"] != nil {
        let steps = try engine.profileSteps(input)
        let total = steps.reduce(0) { $0 + $1.seconds }
        for (step, seconds) in steps {
            print(String(format: "  %-28@ %7.1f ms %5.1f%%", step as NSString, seconds * 1e3, 100 * seconds / total))
        }
    }
    print("{\"engine\": \"imgfeat-cpu\", \"what\": \"network\", \"alpha\": \(alpha), \"size\": \(size), \"batch\": \(batch), "
          + "\"threads\": \(engine.threads), \"kernels\": \"\(engine.kernels)\", \"median\": \(String(format: "%.2f", median)), "
          + "\"gflop_per_image\": \(String(format: "%.4f", engine.flopsPerImage / 1e9)), "
          + "\"runs\": [\(rates.map { String(format: "%.2f", $0) }.joined(separator: ", "))], "
          + "\"cpu_runs\": [\(cpuRates.map { String(format: "%.2f", $0) }.joined(separator: ", "))]}")
}

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
