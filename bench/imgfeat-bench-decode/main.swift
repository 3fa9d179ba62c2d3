// Single-thread decode throughput of imgfeat's JPEG decoder, for bench/decode_bench.py: for each
// file, the median thread CPU time of a full decode, a draft decode, and each followed by the
// resize to SIZE×SIZE. Prints one JSON line per file.
//
//   imgfeat-bench-decode --repeats 7 --size 224 FILE...
import Foundation
import Imaging

func threadSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func medianSeconds(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = threadSeconds()
        try body()
        times.append(threadSeconds() - start)
    }
    return times.sorted()[times.count / 2]
}

var args = Array(CommandLine.arguments.dropFirst())
var repeats = 7, size = 224
while let first = args.first, first.hasPrefix("--") {
    guard args.count >= 2, let value = Int(args[1]) else {
        FileHandle.standardError.write(Data("imgfeat-bench-decode: \(first) needs a number\n".utf8))
        exit(2)
    }
    if first == "--repeats" { repeats = max(1, value) } else if first == "--size" { size = value } else {
        FileHandle.standardError.write(Data("imgfeat-bench-decode: unknown option \(first)\n".utf8))
        exit(2)
    }
    args.removeFirst(2)
}
do {
    for file in args {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let full = try JPEGDecoder.decode(bytes, name: file)
        let draft = try JPEGDecoder.decode(bytes, name: file, draft: size)
        let result: [String: Any] = [
            "file": file, "width": full.width, "height": full.height,
            "draft_width": draft.width, "draft_height": draft.height,
            "decode": try medianSeconds(repeats) { _ = try JPEGDecoder.decode(bytes, name: file) },
            "decode_draft": try medianSeconds(repeats) { _ = try JPEGDecoder.decode(bytes, name: file, draft: size) },
            "decode_resize": try medianSeconds(repeats) {
                _ = PillowResize.resize(try JPEGDecoder.decode(bytes, name: file), width: size, height: size)
            },
            "decode_draft_resize": try medianSeconds(repeats) {
                _ = PillowResize.resize(try JPEGDecoder.decode(bytes, name: file, draft: size), width: size, height: size)
            },
        ]
        let line = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: line, as: UTF8.self))
    }
} catch {
    FileHandle.standardError.write(Data("imgfeat-bench-decode: \(error)\n".utf8))
    exit(1)
}
