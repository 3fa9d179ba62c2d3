import Foundation
import TestSupport

/// The Pillow-generated image fixtures (scripts/fixtures/images.py): the generated set in
/// .fixtures/images when present, and always the committed subset in Tests/Fixtures/images.
enum ImageFixtures {
    struct Resized: Codable, Sendable { var width: Int; var height: Int; var file: String }
    struct Good: Codable, Sendable { var name: String; var file: String; var width: Int; var height: Int
        var mode: String; var rgb: String; var resized: [Resized] }
    struct Bad: Codable, Sendable { var name: String; var file: String; var error_kind: String
        var pillow_error: String? }
    struct Manifest: Codable, Sendable { var pillow: String; var images: [Good]; var bad: [Bad] }

    /// One fixture set on disk.
    struct Set: Sendable {
        var label: String
        var directory: URL
        var manifest: Manifest

        func bytes(_ file: String) throws -> [UInt8] {
            let url = directory.appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw FixtureError("\(label) fixture \(file) is missing: run scripts/fixtures/generate.sh")
            }
            return [UInt8](data)
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let committedDirectory = fixturesDirectory.appendingPathComponent("images")
    static let generatedDirectory = generatedFixturesDirectory.appendingPathComponent("images")

    /// Loads a set's manifest; a missing or unreadable manifest is an error telling how to fix it.
    static func load(label: String, directory: URL) throws -> Set {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FixtureError("\(url.path) is missing: run scripts/fixtures/generate.sh")
        }
        return Set(label: label, directory: directory, manifest: try JSONDecoder().decode(Manifest.self, from: data))
    }

    /// Every set present: generated (if scripts/fixtures/generate.sh ran) and committed.
    static let sets: [Set] = {
        var sets: [Set] = []
        if FileManager.default.fileExists(atPath: generatedDirectory.appendingPathComponent("manifest.json").path),
           let generated = try? load(label: "generated", directory: generatedDirectory) {
            sets.append(generated)
        }
        if let committed = try? load(label: "committed", directory: committedDirectory) { sets.append(committed) }
        return sets
    }()

    /// A good image of one set, as a test argument.
    struct GoodCase: Sendable, CustomStringConvertible {
        var set: Set; var image: Good
        var description: String { "\(set.label)/\(image.name)" }
    }

    /// A resize target of one good image, as a test argument.
    struct ResizeCase: Sendable, CustomStringConvertible {
        var set: Set; var image: Good; var target: Resized
        var description: String { "\(set.label)/\(image.name)→\(target.width)x\(target.height)" }
    }

    /// A file the decoder must refuse, as a test argument.
    struct BadCase: Sendable, CustomStringConvertible {
        var set: Set; var file: Bad
        var description: String { "\(set.label)/\(file.name)" }
    }

    static var goodCases: [GoodCase] { sets.flatMap { s in s.manifest.images.map { GoodCase(set: s, image: $0) } } }
    static var resizeCases: [ResizeCase] {
        goodCases.flatMap { c in c.image.resized.map { ResizeCase(set: c.set, image: c.image, target: $0) } }
    }
    static var badCases: [BadCase] { sets.flatMap { s in s.manifest.bad.map { BadCase(set: s, file: $0) } } }
}

/// First index where two byte arrays differ (or where one ends), with both values.
func firstByteMismatch(_ got: [UInt8], _ expected: [UInt8]) -> (index: Int, expected: Int, got: Int)? {
    for i in 0..<max(got.count, expected.count) {
        let g = i < got.count ? Int(got[i]) : -1, e = i < expected.count ? Int(expected[i]) : -1
        if g != e { return (i, e, g) }
    }
    return nil
}
