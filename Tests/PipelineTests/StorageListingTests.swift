import Foundation
import Pipeline
import Storage
import Testing
import TestSupport

@Suite struct StorageListingTests {
    @Test func labelIsTheParentFolderName() {
        #expect(InputItem(path: "s3a://bucket/Test/Apple 9/r_1.jpg").label == "Apple 9")
        #expect(InputItem(path: "/data/Quince 2/img.JPG").label == "Quince 2")
        #expect(InputItem(path: "img.jpg").label == "")
    }

    @Test func inputSourceParsesEachForm() throws {
        #expect(try InputSource(parsing: "s3a://p11-data/Test") == .s3(bucket: "p11-data", prefix: "Test", scheme: "s3a"))
        #expect(try InputSource(parsing: "s3://b") == .s3(bucket: "b", prefix: ""))
        #expect(try InputSource(parsing: "@list.txt") == .list("list.txt"))
        #expect(try InputSource(parsing: "./images") == .localDirectory("./images"))
        #expect(throws: StorageError.self) { try InputSource(parsing: "s3:///prefix") }
    }

    @Test func localListingIsRecursiveSortedAndFiltered() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let files = ["b/Kiwi/2.jpg", "b/Kiwi/1.JPEG", "a/Apple/x.Jpg", "a/Apple/notes.txt", "a/Apple/y.png",
                     "a/.hidden/z.jpg", "top.jpeg"]
        for file in files {
            let url = root.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data([0xFF]).write(to: url)
        }
        let items = try Listing.items(of: .localDirectory(root.path), config: StorageConfig())
        let relative = items.map { String($0.path.dropFirst(root.path.count + 1)) }
        #expect(relative == ["a/Apple/x.Jpg", "b/Kiwi/1.JPEG", "b/Kiwi/2.jpg", "top.jpeg"])
        #expect(items.map(\.label) == ["Apple", "Kiwi", "Kiwi", root.lastPathComponent])
    }

    @Test func missingFolderIsAFatalErrorNamingIt() {
        do {
            _ = try Listing.items(of: .localDirectory("/nonexistent/imgfeat-input"), config: StorageConfig())
            Issue.record("listing a missing folder did not throw")
        } catch let error as StorageError {
            #expect(error.isFatal)
            #expect(error.description.contains("/nonexistent/imgfeat-input"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: [2, 3, 7])
    func shardsPartitionTheListing(count: Int) throws {
        var generator = SeededGenerator(seed: UInt64(count))
        let paths = (0..<2000).map { _ in "/data/\(UInt32.random(in: 0...UInt32.max, using: &generator)).jpg" }
        var owners = [Int](repeating: 0, count: paths.count)
        var sizes = [Int](repeating: 0, count: count)
        for index in 0..<count {
            let shard = try Shard(parsing: "\(index)/\(count)")
            for (i, path) in paths.enumerated() where shard.owns(path) {
                owners[i] += 1
                sizes[index] += 1
            }
        }
        #expect(owners.allSatisfy { $0 == 1 }, "every path belongs to exactly one shard")
        // A hash share is balanced: no shard gets less than half its fair share.
        #expect(sizes.allSatisfy { $0 > paths.count / count / 2 }, "shard sizes \(sizes)")
    }

    @Test(arguments: ["", "1", "2/2", "-1/3", "a/b", "1/0"])
    func badShardIsRefused(text: String) {
        #expect(throws: PipelineError.self) { try Shard(parsing: text) }
    }
}

/// A fresh empty folder under the system's temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("imgfeat-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
