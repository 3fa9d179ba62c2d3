import Foundation
import TestSupport

/// The decoder corpus written by scripts/fixtures/jpeg_corpus.py: JPEGs with Pillow's verdict.
enum JPEGCorpus {
    struct File: Codable, Sendable {
        var file: String; var group: String; var outcome: String
        var width: Int?; var height: Int?; var rgb: String?; var pillow_error: String?
        /// Set where Debian's libjpeg (its djpeg) decodes the file otherwise than Pillow's bundled one.
        var system_libjpeg_rgb: String?
    }
    struct Accepted: Codable, Sendable { var cut: Int; var width: Int; var height: Int; var rgb: String }
    struct Sweep: Codable, Sendable { var file: String; var cuts: [Int]?; var length: Int; var accepted: [Accepted] }
    struct Draft: Codable, Sendable {
        var file: String; var size: Int; var width: Int; var height: Int; var rgb: String; var resized: String
    }
    struct Manifest: Codable, Sendable {
        var pillow: String; var files: [File]; var sweeps: [Sweep]; var drafts: [Draft]
    }

    static let directory = generatedFixturesDirectory.appendingPathComponent("jpeg_corpus")

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The manifest; missing means the generator has not run, which fails the test that needs it.
    static func manifest() throws -> Manifest {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw Missing(description: "\(url.path) is missing: run scripts/fixtures/generate.sh")
        }
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    static func bytes(_ file: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path) else {
            throw Missing(description: "corpus file \(file) is missing: run scripts/fixtures/generate.sh")
        }
        return [UInt8](data)
    }
}
