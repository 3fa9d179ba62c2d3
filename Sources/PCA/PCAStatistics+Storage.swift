import Foundation

/// The statistics file: one line of JSON (the header), a newline, then raw little-endian float64:
/// the mean (d values) followed by the full symmetric co-moment matrix (d×d, row-major).
/// See docs/PCA.md.
extension PCAStatistics {
    /// Value of the header's "format" field.
    public static let fileFormat = "imgfeat-pca-statistics"
    /// Version of the layout written by `save(to:)`.
    public static let fileVersion = 1

    struct Header: Codable {
        var format: String
        var version: Int
        var dimension: Int
        var count: Int
        var byteOrder: String
        var layout: String

        enum CodingKeys: String, CodingKey {
            case format, version, dimension, count, layout
            case byteOrder = "byte_order"
        }
    }

    /// Writes the statistics to `url` (via a temporary file and rename).
    public func save(to url: URL) throws {
        let header = Header(format: Self.fileFormat, version: Self.fileVersion, dimension: dimension,
                            count: count, byteOrder: "little",
                            layout: "float64 mean[dimension], then float64 comoment[dimension][dimension]")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(header)
        data.append(0x0A)
        // One bulk append: value by value, the 13 MB of a 1280-d file took a sixth of a second.
        let values = (mean + comoment).map { Double(bitPattern: $0.bitPattern.littleEndian) }
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        try PCAError.writeAtomically(data, to: url)
    }

    /// Reads statistics written by `save(to:)`; throws `PCAError.badFile` naming the cause.
    public static func load(from url: URL) throws -> PCAStatistics {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PCAError.badFile(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard let newline = data.firstIndex(of: 0x0A) else {
            throw PCAError.badFile(path: url.path, reason: "no header line (not a PCA statistics file)")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data[data.startIndex..<newline])
        } catch {
            throw PCAError.badFile(path: url.path, reason: "header is not valid statistics JSON")
        }
        guard header.format == fileFormat else {
            throw PCAError.badFile(path: url.path, reason: "format is \"\(header.format)\", expected \"\(fileFormat)\"")
        }
        guard header.version == fileVersion else {
            throw PCAError.badFile(path: url.path, reason: "unsupported version \(header.version)")
        }
        guard header.byteOrder == "little" else {
            throw PCAError.badFile(path: url.path, reason: "unsupported byte order \(header.byteOrder)")
        }
        let d = header.dimension
        guard d > 0, d <= 1 << 15, header.count >= 0 else {
            throw PCAError.badFile(path: url.path, reason: "implausible dimension \(d) or count \(header.count)")
        }
        let expected = (d + d * d) * 8
        let body = data[(newline + 1)...]
        guard body.count == expected else {
            throw PCAError.badFile(path: url.path, reason: "body has \(body.count) bytes, expected \(expected) for d = \(d)")
        }
        var values = [Double](repeating: 0, count: d + d * d)
        values.withUnsafeMutableBytes { target in _ = body.copyBytes(to: target) }
        for i in values.indices { values[i] = Double(bitPattern: UInt64(littleEndian: values[i].bitPattern)) }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw PCAError.badFile(path: url.path, reason: "non-finite value at float64 index \(bad)")
        }
        do {
            return try PCAStatistics(dimension: d, count: header.count, mean: Array(values[0..<d]),
                                     comoment: Array(values[d...]))
        } catch {
            throw PCAError.badFile(path: url.path, reason: "\(error)")
        }
    }
}
