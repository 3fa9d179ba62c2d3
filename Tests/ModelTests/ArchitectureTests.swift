import Foundation
import Model
import Testing
import TestSupport

/// Layer names, kernel shapes, strides and output sizes against what Keras built for the same config.
@Suite struct ArchitectureTests {
    static var cases: [KerasModelManifest.Case] { kerasCases(.committed) + kerasCases(.generated) }

    @Test(arguments: cases)
    func shapesMatchKeras(_ testCase: KerasModelManifest.Case) throws {
        let architecture = try MobileNetV2Architecture(config: MobileNetV2Config(alpha: testCase.alpha, inputSize: testCase.size))
        let convolutions = architecture.convolutions
        #expect(convolutions.count == testCase.layers.count)
        var size = testCase.size
        for (spec, keras) in zip(convolutions, testCase.layers) {
            let layer = spec.layer(weights: [], bias: [])
            size = layer.outputSize(inputSize: size)
            #expect(spec.name == keras.name)
            #expect(spec.kerasKernelShape == keras.kernel, "\(spec.name)")
            #expect(spec.stride == keras.stride, "\(spec.name)")
            let shape: [Int] = [size, size, spec.outChannels]
            #expect(shape == keras.output, "\(spec.name)")
        }
        #expect(architecture.featureDimension == testCase.featureDimension)
        #expect(architecture.blocks.count == 17)
    }

    @Test func residualBlocksAreThoseKerasAdds() throws {
        let architecture = try MobileNetV2Architecture(config: MobileNetV2Config(alpha: 1.0, inputSize: 224))
        #expect(architecture.blocks.filter(\.residual).map(\.index) == [2, 4, 5, 7, 8, 9, 11, 12, 14, 15])
    }

    struct WidthRow: Decodable {
        var alpha: Double
        var stem: Int
        var projections: [Int]
        var head: Int
    }

    struct WidthManifest: Decodable {
        var widths: [WidthRow]
    }

    @Test func widthsMatchKerasMakeDivisible() throws {
        _ = try KerasModelFixtureSet.generated.manifest()
        let url = KerasModelFixtureSet.generated.directory.appendingPathComponent("manifest.json")
        let rows = try JSONDecoder().decode(WidthManifest.self, from: try Data(contentsOf: url)).widths
        #expect(rows.count >= 6)
        for row in rows {
            let architecture = try MobileNetV2Architecture(config: MobileNetV2Config(alpha: row.alpha, inputSize: 224))
            #expect(architecture.stem.outChannels == row.stem, "alpha \(row.alpha)")
            #expect(architecture.blocks.map(\.project.outChannels) == row.projections, "alpha \(row.alpha)")
            #expect(architecture.head.outChannels == row.head, "alpha \(row.alpha)")
        }
    }

    @Test(arguments: [(Int(1), 2, 1), (2, 2, 0), (3, 2, 1), (13, 2, 1), (112, 2, 0), (127, 2, 1), (7, 1, 1)])
    func paddingBeforeFollowsKeras(inputSize: Int, stride: Int, expected: Int) {
        let layer = ConvLayer(name: "t", kind: .depthwise, kernelSize: 3, stride: stride, inChannels: 1, outChannels: 1,
                              relu6: true, weights: [], bias: [])
        #expect(layer.padBefore(inputSize: inputSize) == expected)
        #expect(layer.outputSize(inputSize: inputSize) == (inputSize + stride - 1) / stride)
    }

    @Test func invalidConfigsAreRejected() {
        #expect(throws: ModelError.self) { try MobileNetV2Architecture(config: MobileNetV2Config(alpha: 0, inputSize: 224)) }
        #expect(throws: ModelError.self) { try MobileNetV2Architecture(config: MobileNetV2Config(alpha: 1, inputSize: 31)) }
    }
}
