import Foundation
import Storage
import Testing
import TestSupport

/// Local folders and files through the same batch interface as remote objects.
struct LocalFetchTests {
    @Test(arguments: [1, 3, 13])
    func fetchesLocalFilesInOrder(count: Int) throws {
        let folder = NSTemporaryDirectory() + "imgfeat-fetch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/Apple", withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: UInt64(count))
        var expected: [[UInt8]] = []
        var paths: [String] = []
        for i in 0 ..< count {
            let bytes = (0 ..< Int.random(in: 0 ... 5000, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            let path = "\(folder)/Apple/\(i).jpg"
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            expected.append(bytes)
            paths.append(path)
        }
        paths.insert(folder + "/Apple/missing.jpg", at: count / 2)
        expected.insert([], at: count / 2)
        let results = ObjectFetcher(StorageConfig(environment: [:])).fetch(paths)
        #expect(results.count == paths.count)
        for (i, result) in results.enumerated() {
            if i == count / 2 {
                #expect(throws: StorageError.self) { try result.get() }
                if case .failure(let e) = result { #expect(!e.isFatal && e.description.contains("missing.jpg")) }
            } else {
                #expect(try result.get() == expected[i], "path \(paths[i])")
            }
        }
    }

    @Test func localListingUsesTheGlob() throws {
        let folder = NSTemporaryDirectory() + "imgfeat-list-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/a/b", withIntermediateDirectories: true)
        for name in ["a/x.JPG", "a/b/y.jpeg", "a/b/z.png", "a/w.jpg.txt", "top.jpg"] {
            _ = FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data([1]))
        }
        let images = try Listing.items(of: .localDirectory(folder), config: StorageConfig(environment: [:]))
        #expect(images.map { String($0.path.dropFirst(folder.count)) }.sorted() == ["/a/b/y.jpeg", "/a/x.JPG", "/top.jpg"].sorted())
        let pngs = try Listing.items(of: .localDirectory(folder), config: StorageConfig(environment: [:]),
                                     filter: GlobFilter("*.png"))
        #expect(pngs.map(\.label) == ["b"])
    }
}
