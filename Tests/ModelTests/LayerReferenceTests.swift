import Foundation
import Model
import Testing
import TestSupport

/// Each reference kernel against numpy on awkward shapes (1, 3, 13, 127; odd and even sizes, stride 1 and 2).
@Suite struct LayerReferenceTests {
    struct KernelCase: Decodable, Sendable, CustomStringConvertible {
        var name: String
        var kind: String
        var batch: Int
        var size: Int
        var inChannels: Int
        var outChannels: Int
        var stride: Int
        var relu6: Bool
        var residual: Bool
        var description: String { name }
    }

    struct Manifest: Decodable {
        var kernels: [KernelCase]
    }

    static let set = KerasModelFixtureSet.generated

    static var cases: [KernelCase] {
        guard let data = try? Data(contentsOf: set.directory.appendingPathComponent("manifest.json")),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return manifest.kernels
    }

    @Test func kernelCasesArePresent() throws {
        _ = try Self.set.manifest()
        #expect(Self.cases.count >= 20, "run scripts/fixtures/generate.sh")
        #expect(Set(Self.cases.map(\.kind)) == ["full", "depthwise", "pointwise", "pool"])
    }

    @Test(arguments: cases)
    func referenceMatchesNumpy(_ c: KernelCase) throws {
        func array(_ key: String) throws -> [Float] { try Self.set.floats("kernels/\(c.name)_\(key).f32") }
        let x = Tensor(batch: c.batch, height: c.size, width: c.size, channels: c.inChannels, data: try array("x"))
        let expected = try array("y")
        let got: [Float]
        if c.kind == "pool" {
            got = GlobalAveragePool.reference(x)
        } else {
            let kind: ConvLayer.Kind = c.kind == "full" ? .full : c.kind == "depthwise" ? .depthwise : .pointwise
            let layer = ConvLayer(name: c.name, kind: kind, kernelSize: kind == .pointwise ? 1 : 3, stride: c.stride,
                                  inChannels: c.inChannels, outChannels: c.outChannels, relu6: c.relu6,
                                  weights: try array("w"), bias: try array("b"))
            #expect(layer.weights.count == layer.weightCount)
            let output: Tensor
            switch kind {
            case .full: output = StemConv.reference(x, layer)
            case .depthwise: output = DepthwiseConv.reference(x, layer)
            case .pointwise:
                let side = c.size
                let residual = c.residual
                    ? Tensor(batch: c.batch, height: side, width: side, channels: c.outChannels, data: try array("r")) : nil
                output = PointwiseConv.reference(x, layer, residual: residual)
            }
            let side = layer.outputSize(inputSize: c.size)
            let shape: [Int] = [output.batch, output.height, output.width, output.channels]
            #expect(shape == [c.batch, side, side, c.outChannels])
            got = output.data
        }
        try #require(got.count == expected.count, "\(c.name): \(got.count) values, numpy has \(expected.count)")
        if let m = firstMismatch(got, expected, relativeTolerance: 1e-5) {
            Issue.record("\(c.name): index \(m.index): expected \(m.expected), got \(m.got)")
        }
    }
}
