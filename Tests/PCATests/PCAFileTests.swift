import Foundation
import FoundationXML
import PCA
import Pipeline
import Testing
import TestSupport

/// Statistics files, MODEL.json and SVG plots: round trips, atomic writes, refusal of bad files.
@Suite struct PCAFileTests {
    static func tempFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pca-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func statistics(n: Int = 40, d: Int = 6) throws -> PCAStatistics {
        var g = SeededGenerator(seed: 99)
        var s = try PCAStatistics(dimension: d)
        try s.add(rows: (0..<(n * d)).map { _ in Float.random(in: 0...3, using: &g) }, count: n)
        return s
    }

    @Test func statisticsRoundTripExactly() throws {
        let folder = try Self.tempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let s = try Self.statistics()
        let url = folder.appendingPathComponent("part-00000.stats")
        try s.save(to: url)
        let back = try PCAStatistics.load(from: url)
        #expect(back == s)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["part-00000.stats"])
        // The documented layout: a JSON line, then d + d² little-endian float64.
        let data = try Data(contentsOf: url)
        let newline = try #require(data.firstIndex(of: 0x0A))
        #expect(data.count - newline - 1 == (6 + 36) * 8)
    }

    @Test(arguments: ["truncated", "not-json", "wrong-format"])
    func badStatisticsFilesAreRefused(kind: String) throws {
        let folder = try Self.tempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.stats")
        try Self.statistics().save(to: url)
        var data = try Data(contentsOf: url)
        switch kind {
        case "truncated": data.removeLast(8)
        case "not-json": data = Data("hello\n".utf8) + data
        default: data = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "imgfeat-pca-statistics", with: "other").utf8)
        }
        try data.write(to: url)
        do {
            _ = try PCAStatistics.load(from: url)
            Issue.record("\(kind) file was accepted")
        } catch let error as PCAError {
            #expect(error.description.contains(url.path), "\(error)")
        }
    }

    @Test func modelJSONRoundTripsAndIsWrittenAtomically() throws {
        let folder = try Self.tempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var model = try PCAModel.fit(try Self.statistics(), k: 3)
        model.center = true
        let url = folder.appendingPathComponent("MODEL.json")
        try model.save(to: url)
        #expect(try PCAModel.load(from: url) == model)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["MODEL.json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        for key in ["k", "n", "mean", "eigenvalues", "explained_variance", "components", "center", "sign_rule"] {
            #expect(object[key] != nil, "MODEL.json lacks \(key)")
        }
        #expect((object["components"] as? [[Double]])?.count == 3)
        #expect((object["eigenvalues"] as? [Double])?.count == 6)
    }

    @Test func modelJSONWithWrongShapeIsRefused() throws {
        let model = try PCAModel.fit(try Self.statistics(), k: 2)
        var object = try #require(try JSONSerialization.jsonObject(with: model.jsonData()) as? [String: Any])
        object["k"] = 3
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: PCAError.self) { try PCAModel.decode(data, source: "MODEL.json") }
    }

    /// The fit's sign rule is recorded and read back; both rules load, an unknown one is refused.
    @Test func signRuleIsRecordedAndUnknownOnesAreRefused() throws {
        let model = try PCAModel.fit(try Self.statistics(), k: 2)
        #expect(model.signRule == .sparkDgesdd)
        var object = try #require(try JSONSerialization.jsonObject(with: model.jsonData()) as? [String: Any])
        #expect(object["sign_rule"] as? String == "spark-dgesdd")
        #expect(object["method"] as? String == "lapack-dgesdd" && object["fitted_on"] as? String == "host")
        // A sign rule that its method does not give is refused; files without `method` (written before
        // it existed) get the method their sign rule implies.
        object["sign_rule"] = "largest-abs-entry-positive"
        #expect { try PCAModel.decode(try JSONSerialization.data(withJSONObject: object), source: "MODEL.json") }
            throws: { "\($0)".contains("method lapack-dgesdd gives signs spark-dgesdd") }
        object["method"] = "vulkan-subspace-iteration"
        object["fitted_on"] = "some GPU"
        let device = try PCAModel.decode(try JSONSerialization.data(withJSONObject: object), source: "MODEL.json")
        #expect(device.signRule == .largestAbsEntryPositive && device.method == .vulkanSubspaceIteration)
        #expect(device.fittedOn == "some GPU")
        object["method"] = nil
        object["fitted_on"] = nil
        let older = try PCAModel.decode(try JSONSerialization.data(withJSONObject: object), source: "MODEL.json")
        #expect(older.signRule == .largestAbsEntryPositive && older.method == .vulkanSubspaceIteration && older.fittedOn == nil)
        object["method"] = "guesswork"
        #expect { try PCAModel.decode(try JSONSerialization.data(withJSONObject: object), source: "MODEL.json") }
            throws: { "\($0)".contains("unknown method \"guesswork\"") }
        object["method"] = nil
        object["sign_rule"] = "coin-toss"
        #expect { try PCAModel.decode(try JSONSerialization.data(withJSONObject: object), source: "MODEL.json") }
            throws: { "\($0)".contains("unknown sign rule \"coin-toss\"") }
    }

    final class Collector: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var classes: [String: Int] = [:]
        var texts: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
            if let c = attributes["class"] { classes[c, default: 0] += 1 }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    }

    static func parse(_ svg: String) -> Collector? {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }

    @Test func screePlotIsValidSVG() throws {
        let ev = [0.4, 0.2, 0.1, 0.05]
        let doc = try #require(Self.parse(PCAPlots.screeSVG(explainedVariance: ev)))
        #expect(doc.elements["svg"] == 1)
        #expect(doc.elements["polyline"] == 1)
        #expect(doc.classes["bar"] == ev.count)
        // Components numbered from 1: the x ticks of 4 components are 1, 2, 3, 4.
        #expect(doc.classes["tick x"] == 4)
    }

    @Test func scatterIsValidSVGWithEscapedLegend() throws {
        let labels = ["cats & dogs", "<apple>", "cats & dogs", "pear \"green\""]
        let points: [Double] = [0, 1, 5, 2, -1, 3, 2, 2, 9, 9, 9, 9]
        let svg = PCAPlots.scatterSVG(projections: points, stride: 3, labels: labels)
        let doc = try #require(Self.parse(svg))
        #expect(doc.classes["point"] == 4)
        #expect(doc.classes["legend-entry"] == 3)
        let text = doc.texts.joined()  // the parser splits text at entities
        for label in ["cats & dogs", "<apple>", "pear \"green\""] {
            #expect(text.contains(label), "legend lacks \(label)")
        }
        let folder = try Self.tempFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try PCAPlots.write(svg, to: folder.appendingPathComponent("scatter.svg"))
        #expect(try String(contentsOf: folder.appendingPathComponent("scatter.svg"), encoding: .utf8) == svg)
    }
}
