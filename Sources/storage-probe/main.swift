// storage-probe: drives the Storage module from the command line for the Python cross-checks and
// the throughput numbers in docs/PERFORMANCE.md. Every command prints one JSON object on stdout;
// failures print {"error": ..., "fatal": ...} and exit 1 (2 for usage errors).
import Foundation
import Common
import Storage

let usage = """
usage: storage-probe COMMAND [options]
  list URI [--max-keys N] [--glob PATTERN]     list an s3:// prefix, a folder or an @FILE
  get PATH... | @FILE [--batch N] [--out DIR]  fetch objects; prints size and sha256 of each
  put FILE s3://bucket/key                     upload one file (multipart when large)
  upload DIR s3://bucket/prefix                upload a folder, _SUCCESS last
  download URL DEST [--size N]                 download into a cache file
  credentials                                  where the credentials come from (never the secret)
options: --endpoint-url URL --region R --profile P --no-sign-request --insecure --concurrency N
         --max-attempts N --stall-seconds S --part-size BYTES --multipart-threshold BYTES
"""

func emit(_ object: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

func fail(_ error: Error) -> Never {
    let storage = error as? StorageError
    emit(["error": storage?.description ?? "\(error)", "fatal": storage?.isFatal ?? true])
    exit(1)
}

func usageError(_ message: String) -> Never {
    FileHandle.standardError.write(Data("storage-probe: \(message)\n\(usage)\n".utf8))
    exit(2)
}

var config: StorageConfig
do { config = try StorageConfig.fromEnvironment(ProcessInfo.processInfo.environment) } catch { fail(error) }
var positional: [String] = []
var options: [String: String] = [:]
var args = Array(CommandLine.arguments.dropFirst())
let flags: Set<String> = ["--no-sign-request", "--insecure"]
while !args.isEmpty {
    let arg = args.removeFirst()
    if flags.contains(arg) {
        options[arg] = "1"
    } else if arg.hasPrefix("--") {
        guard !args.isEmpty else { usageError("\(arg) needs a value") }
        options[arg] = args.removeFirst()
    } else {
        positional.append(arg)
    }
}
@MainActor func intOption(_ name: String) -> Int? {
    guard let text = options[name] else { return nil }
    guard let value = Int(text), value > 0 else { usageError("\(name) needs a positive integer") }
    return value
}
if let v = options["--endpoint-url"] { config.endpointURL = v }
if let v = options["--region"] { config.region = v }
if let v = options["--profile"] { config.profile = v }
if options["--no-sign-request"] != nil { config.anonymous = true }
if options["--insecure"] != nil { config.insecure = true }
if let v = intOption("--concurrency") { config.concurrency = v }
if let v = intOption("--max-attempts") { config.retry.maxAttempts = v }
if let v = options["--stall-seconds"].flatMap(Double.init) { config.stallTimeout = v }
if let v = intOption("--part-size") { config.partSize = v }
if let v = intOption("--multipart-threshold") { config.multipartThreshold = v }

guard let command = positional.first else { usageError("no command") }
let operands = Array(positional.dropFirst())
let start = Date()
@MainActor func elapsed() -> Double { Date().timeIntervalSince(start) }

do {
    switch command {
    case "list":
        guard operands.count == 1 else { usageError("list takes one URI") }
        let source = try InputSource(parsing: operands[0])
        let filter = options["--glob"].map { GlobFilter($0, caseInsensitive: true) } ?? .images
        let items: [InputItem]
        if case .s3(let bucket, let prefix, _) = source, let maxKeys = intOption("--max-keys") {
            items = try S3Client(config: config).listFolder(bucket: bucket, path: prefix, maxKeys: maxKeys)
                .filter { filter.matchesPath($0.key) }
                .map { InputItem(path: "s3://\(bucket)/\($0.key)") }
        } else {
            items = try Listing.items(of: source, config: config, filter: filter)
        }
        emit(["count": items.count, "seconds": elapsed(),
              "items": items.map { ["path": $0.path, "label": $0.label] }])
    case "get":
        var paths = operands
        if paths.count == 1, paths[0].hasPrefix("@") {
            paths = try Listing.items(of: .list(String(paths[0].dropFirst())), config: config).map(\.location)
        }
        guard !paths.isEmpty else { usageError("get needs paths") }
        let fetcher = ObjectFetcher(config)
        let batch = intOption("--batch") ?? max(paths.count, 1)
        var rows: [[String: Any]] = []
        var bytes = 0, failures = 0
        var fatal = false
        for chunk in stride(from: 0, to: paths.count, by: batch).map({ Array(paths[$0 ..< min($0 + batch, paths.count)]) }) {
            for (path, result) in zip(chunk, fetcher.fetch(chunk)) {
                switch result {
                case .success(let data):
                    bytes += data.count
                    if let out = options["--out"] {
                        let name = path.split(separator: "/").last.map(String.init) ?? "object"
                        _ = FileManager.default.createFile(atPath: "\(out)/\(name)", contents: Data(data))
                    }
                    rows.append(["path": path, "size": data.count, "sha256": SHA256.hexHash(data)])
                case .failure(let error):
                    failures += 1
                    fatal = fatal || error.isFatal
                    rows.append(["path": path, "error": error.description, "fatal": error.isFatal])
                }
            }
        }
        let seconds = elapsed()
        emit(["count": paths.count, "failures": failures, "fatal": fatal, "bytes": bytes, "seconds": seconds,
              "objects_per_second": Double(paths.count) / max(seconds, 1e-9),
              "mb_per_second": Double(bytes) / 1e6 / max(seconds, 1e-9), "items": rows])
        exit(failures == 0 ? 0 : 1)
    case "put":
        guard operands.count == 2 else { usageError("put takes FILE and s3://bucket/key") }
        try S3Client(config: config).uploadFile(operands[0], to: try S3Location(parsing: operands[1]))
        emit(["uploaded": operands[1], "seconds": elapsed()])
    case "upload":
        guard operands.count == 2 else { usageError("upload takes DIR and s3://bucket/prefix") }
        let count = try ObjectStore(config: config).upload(localFolder: operands[0], to: operands[1])
        emit(["uploaded": count, "seconds": elapsed()])
    case "download":
        guard operands.count == 2 else { usageError("download takes URL and DEST") }
        try Downloader(config: config).download(url: operands[0], to: operands[1], expectedSize: intOption("--size"))
        emit(["downloaded": operands[1], "seconds": elapsed()])
    case "credentials":
        let credentials = try CredentialProvider(config: config).credentials()
        emit(["access_key_id": credentials.accessKeyId, "source": credentials.source,
              "has_session_token": credentials.sessionToken != nil, "region": config.resolvedRegion,
              "expiration": credentials.expiration.map { ISO8601DateFormatter().string(from: $0) } ?? NSNull()])
    default:
        usageError("unknown command \(command)")
    }
} catch {
    fail(error)
}
