import Foundation
import Parquet
import Pipeline
import Testing
import TestSupport

/// Library-level runs of `featurize` on the committed fixture JPEGs (the end-to-end checks through the
/// binary, with pyarrow as the reader, are in Tests/python/test_pipeline.py).
@Suite(.serialized) struct FeaturizeRunTests {
    static let goodImages = ["baseline_100x100.jpg", "baseline_37x61.jpg", "baseline_3x2.jpg", "baseline_500x20.jpg",
                             "cmyk_37x61.jpg", "baseline_120x300.jpg", "gray_37x61.jpg"]

    /// A folder `root/<label>/<image>` of fixture images plus one file that is not a JPEG.
    static func makeInput() throws -> (root: URL, good: [String], bad: String) {
        let root = try temporaryDirectory()
        var good: [String] = []
        for (i, name) in goodImages.enumerated() {
            let source = fixturesDirectory.appendingPathComponent("images/\(name)")
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            let folder = root.appendingPathComponent(i % 2 == 0 ? "Apple 9" : "Quince 2")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let target = folder.appendingPathComponent(name)
            try FileManager.default.copyItem(at: source, to: target)
            good.append(target.path)
        }
        let bad = root.appendingPathComponent("Apple 9/not_a_jpeg.jpg")
        try Data("plain text, not an image".utf8).write(to: bad)
        return (root, good, bad.path)
    }

    static func options(_ input: URL, _ output: URL, device: DeviceChoice, seed: Int = 0) throws -> RunOptions {
        // The environment is read here, at the edge (scripts/test.sh turns Vulkan validation on).
        var options = RunOptions(input: input.path, output: output.path,
                                 settings: try EnvironmentSettings(environment: ProcessInfo.processInfo.environment))
        options.device = device
        options.weights = "random:\(seed)"
        options.alpha = 0.35
        options.inputSize = 32
        options.batch = 2
        options.partRows = 3
        options.quiet = true
        return options
    }

    /// path → (label, features) of every part in `folder`.
    static func rows(_ folder: URL) throws -> [String: (String, [Float])] {
        var rows: [String: (String, [Float])] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("part-") }
        for name in names {
            let reader = try ParquetFileReader(url: folder.appendingPathComponent(name))
            for group in 0..<reader.rowGroupCount {
                let paths = try reader.readStrings("path", rowGroup: group)
                let labels = try reader.readStrings("label", rowGroup: group)
                let vectors = try reader.readVectors("features", rowGroup: group)
                let dimension = vectors.uniformDimension ?? 0
                let values = vectors.floats
                for row in 0..<paths.count {
                    let path = paths[row] ?? ""
                    #expect(rows[path] == nil, "duplicate row \(path)")
                    rows[path] = (labels[row] ?? "", Array(values[row * dimension..<(row + 1) * dimension]))
                }
            }
        }
        return rows
    }

    @Test func cpuAndReferenceGiveTheSameRowsAndErrors() throws {
        let input = try Self.makeInput()
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: input.root); try? FileManager.default.removeItem(at: out) }
        let cpu = try Commands.featurize(Self.options(input.root, out.appendingPathComponent("cpu"), device: .cpu))
        let reference = try Commands.featurize(Self.options(input.root, out.appendingPathComponent("ref"), device: .reference))
        #expect(cpu.featurized == input.good.count && cpu.errors == 1)
        #expect(reference.featurized == input.good.count && reference.errors == 1)
        #expect(cpu.errorsByStage == ["decode": 1])

        let cpuRows = try Self.rows(out.appendingPathComponent("cpu"))
        let referenceRows = try Self.rows(out.appendingPathComponent("ref"))
        #expect(Set(cpuRows.keys) == Set(input.good))
        #expect(Set(referenceRows.keys) == Set(input.good))
        for path in input.good {
            let (label, expected) = try #require(referenceRows[path])
            let (cpuLabel, got) = try #require(cpuRows[path])
            #expect(label == URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent)
            #expect(cpuLabel == label)
            if let mismatch = firstMismatch(got, expected, relativeTolerance: 1e-5) {
                Issue.record("\(path): feature \(mismatch.index) expected \(mismatch.expected), got \(mismatch.got)")
            }
        }
        let errors = try ParquetFileReader(url: out.appendingPathComponent("cpu/_errors.parquet"))
        #expect(try errors.readStrings("path", rowGroup: 0) == [input.bad])
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("cpu/_SUCCESS").path))
    }

    @Test func resumeRewritesOnlyMissingPartsAndRefusesOtherSettings() throws {
        let input = try Self.makeInput()
        let out = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: input.root); try? FileManager.default.removeItem(at: out) }
        let whole = out.appendingPathComponent("whole"), cut = out.appendingPathComponent("cut")
        _ = try Commands.featurize(Self.options(input.root, whole, device: .cpu))
        _ = try Commands.featurize(Self.options(input.root, cut, device: .cpu))

        // Simulate a run killed after its first part: drop the later parts and the end markers.
        let parts = try FileManager.default.contentsOfDirectory(atPath: cut.path).filter { $0.hasPrefix("part-") }.sorted()
        #expect(parts.count == 3, "8 inputs in parts of 3")
        for name in parts.dropFirst() + ["_SUCCESS", "_summary.json"] {
            try FileManager.default.removeItem(at: cut.appendingPathComponent(name))
        }

        do {
            _ = try Commands.featurize(Self.options(input.root, cut, device: .cpu, seed: 1))
            Issue.record("resuming with other weights did not throw")
        } catch let error as PipelineError {
            #expect(error.description.contains("another job (its weights are random:0, not random:1)"), "\(error)")
        }
        do {
            var draft = try Self.options(input.root, cut, device: .cpu)
            draft.draft = true  // other pixels: must not fill in a full-decode run
            _ = try Commands.featurize(draft)
            Issue.record("resuming with --draft did not throw")
        } catch let error as PipelineError {
            #expect(error.description.contains("--draft"), "\(error)")
        }

        let resumed = try Commands.featurize(Self.options(input.root, cut, device: .cpu))
        #expect(resumed.partsResumed == 1 && resumed.partsWritten == 2)
        #expect(resumed.featurized == input.good.count && resumed.errors == 1)
        let expected = try Self.rows(whole), got = try Self.rows(cut)
        #expect(Set(got.keys) == Set(expected.keys))
        for (path, (label, features)) in expected {
            #expect(got[path]?.0 == label)
            #expect(got[path]?.1 == features, "\(path): resumed features differ")
        }
        let again = try Commands.featurize(Self.options(input.root, cut, device: .cpu))
        #expect(again.alreadyComplete)
    }

    @Test func finishedOutputOfAnotherInputIsRefusedNotSkipped() throws {
        let input = try Self.makeInput()
        let other = try Self.makeInput()
        let out = try temporaryDirectory()
        defer {
            for url in [input.root, other.root, out] { try? FileManager.default.removeItem(at: url) }
        }
        _ = try Commands.featurize(Self.options(input.root, out, device: .cpu))
        let before = try Self.rows(out)
        do {
            _ = try Commands.featurize(Self.options(other.root, out, device: .cpu))
            Issue.record("a finished output of another input was reported as done")
        } catch let error as PipelineError {
            #expect(error.description.contains("holds the output of another job"), "\(error)")
            #expect(error.description.contains(input.root.path), "the message should name the input it holds: \(error)")
        }
        let after = try Self.rows(out)
        #expect(Set(after.keys) == Set(before.keys) && after.keys.allSatisfy { after[$0]!.1 == before[$0]!.1 })
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("_SUCCESS").path))
    }
}
