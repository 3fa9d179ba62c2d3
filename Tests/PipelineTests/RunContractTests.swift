import Foundation
import Pipeline
import Storage
import Testing

/// The run contract at the library level: option ranges, the one-writer lock, and what a listing
/// reports instead of skipping (the same through the binary: Tests/python/test_run_contract.py).
@Suite struct RunContractTests {
    static func options(_ change: (inout RunOptions) -> Void) -> RunOptions {
        var options = RunOptions(input: "/data/in", output: "/data/out")
        change(&options)
        return options
    }

    static let refused: [(String, RunOptions)] = [
        ("--batch must be 1…4096 (got 0)", options { $0.batch = 0 }),
        ("--batch must be 1…4096 (got 4097)", options { $0.batch = 4097 }),
        ("--threads must be 1…256 (got -5)", options { $0.threads = -5 }),
        ("--part-rows must be 1…100000 (got 9223372036854775807)", options { $0.partRows = Int.max }),
        ("--size must be 32…1024 (got 3037000500)", options { $0.inputSize = 3_037_000_500 }),
        ("--size must be 32…1024 (got 31)", options { $0.inputSize = 31 }),
        ("--alpha must be 0.1…4.0 (got 1000.0)", options { $0.alpha = 1000 }),
        ("--alpha must be a number (got nan)", options { $0.alpha = .nan }),
        ("--max-errors must be 0 or more (got -1)", options { $0.maxErrors = -1 }),
        ("--fetch-concurrency must be 1…1024 (got 0)", options { $0.storage.concurrency = 0 }),
        ("--device-index must be 0…255 (got -1)", options { $0.deviceIndex = -1 }),
        ("--output must not be empty", options { $0.output = "" }),
        ("--batch 4096 at --size 224 is 2352 MiB of model input per batch", options { $0.batch = 4096 }),
    ]

    @Test func outOfRangeOptionsAreOneClearLine() {
        for (message, options) in Self.refused {
            do {
                try options.validate()
                Issue.record("accepted, expected: \(message)")
            } catch {
                #expect("\(error)".hasPrefix(message), "got \(error), expected \(message)")
                #expect(!"\(error)".contains("\n"))
            }
        }
    }

    @Test func theEdgesOfEachRangeAreAccepted() throws {
        try Self.options { $0.batch = 1; $0.threads = 256; $0.partRows = 100_000; $0.inputSize = 32; $0.alpha = 4 }.validate()
        try Self.options { $0.batch = 4096; $0.inputSize = 32; $0.maxErrors = 0; $0.storage.concurrency = 1024 }.validate()
        try RunOptions(input: "x", output: "").validate(needsOutput: false)
    }

    @Test func kIsCheckedAgainstTheFeatureWidthAndTheImages() throws {
        try PCAOptions(k: 1280).validate(featureDimension: 1280, images: 1281)
        #expect(throws: PipelineError.self) { try PCAOptions(k: 1281).validate(featureDimension: 1280) }
        #expect(throws: PipelineError.self) { try PCAOptions(k: 0).validate(featureDimension: 1280) }
        do {
            try PCAOptions(k: 8).validate(featureDimension: 1280, images: 8)
            Issue.record("k = 8 accepted for 8 images")
        } catch {
            #expect("\(error)" == "--k 8 needs at least 9 images; the input has 8 (use --k 7 or less)")
        }
    }

    @Test func aSecondLockOnTheSameOutputIsRefusedNamingTheHolder() throws {
        let state = try temporaryDirectory().appendingPathComponent("out/_imgfeat")
        var first: OutputLock? = try OutputLock(state: state, output: "out")
        do {
            _ = try OutputLock(state: state, output: "out")
            Issue.record("two writers held the lock")
        } catch {
            #expect("\(error)".contains("out is in use by another imgfeat (pid \(getpid()) on "), "\(error)")
        }
        _ = first
        first = nil  // released as a killed process's would be: by closing the descriptor
        _ = try OutputLock(state: state, output: "out")
    }

    @Test func theWalkFollowsLinksAndReportsWhatItCannotUse() throws {
        let base = try temporaryDirectory()
        let real = base.appendingPathComponent("real/Cats")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        try Data([0xFF, 0xD8]).write(to: real.appendingPathComponent("a.jpg"))
        let root = base.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: root.path + "/Cats", withDestinationPath: real.path)
        try manager.createSymbolicLink(atPath: root.path + "/b.jpg", withDestinationPath: real.path + "/a.jpg")
        try manager.createSymbolicLink(atPath: root.path + "/Cats2", withDestinationPath: "Cats")
        try manager.createSymbolicLink(atPath: real.path + "/up", withDestinationPath: "..")
        try manager.createSymbolicLink(atPath: root.path + "/gone.jpg", withDestinationPath: base.path + "/nothing")
        #expect(mkfifo(root.path + "/pipe.jpeg", 0o644) == 0)

        let result = try Listing.scan(.localDirectory(root.path), config: StorageConfig(environment: [:]))
        #expect(result.items.map(\.path) == [root.path + "/Cats/a.jpg", root.path + "/Cats2/a.jpg", root.path + "/b.jpg"])
        let problems = Dictionary(uniqueKeysWithValues: result.problems.map { ($0.path, $0) })
        #expect(problems[root.path + "/gone.jpg"]?.stage == "read")
        #expect(problems[root.path + "/gone.jpg"]?.message.contains("broken symbolic link") == true)
        #expect(problems[root.path + "/pipe.jpeg"]?.message.contains("a FIFO") == true)
        // real/Cats/up leads to real/, which is no ancestor of in/Cats: walked (finding Cats again,
        // whose own up then loops).
        #expect(result.problems.contains { $0.stage == "list" && $0.message.contains("symbolic link loop") })
    }

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let path = try temporaryDirectory().appendingPathComponent("pipe.jpg").path
        #expect(mkfifo(path, 0o644) == 0)
        #expect(throws: StorageError.self) { _ = try ObjectReader.readLocal(path) }
    }

    @Test func repeatedLinesOfAListAreKeptOnce() throws {
        let list = try temporaryDirectory().appendingPathComponent("list.txt")
        try "/a/x.jpg\n/a/y.jpg\n/a/x.jpg\nhttps://u:p@h/z.jpg?X-Amz-Signature=1\nhttps://h/z.jpg\n".write(to: list, atomically: true, encoding: .utf8)
        let result = try Listing.scan(.list(list.path), config: StorageConfig(environment: [:]))
        #expect(result.items.map(\.path) == ["/a/x.jpg", "/a/y.jpg", "https://h/z.jpg"])
        #expect(result.items.last?.location == "https://u:p@h/z.jpg?X-Amz-Signature=1")
        #expect(result.duplicates == 2)
    }
}
