import Foundation
import Pipeline
import Testing

/// Model's weights errors are typed and name no command-line flag (ModelTests); the commands word the
/// flag that gets past them.
@Suite struct ModelLoadingTests {
    @Test func missingImagenetWeightsOfflineSayPassWeights() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("in"), output = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        let environment = ["HOME": root.path + "/home", "XDG_CACHE_HOME": root.path + "/cache",
                           "KERAS_HOME": root.path + "/keras", "IMGFEAT_OFFLINE": "1"]
        var options = RunOptions(input: input.path, output: output.path, settings: try EnvironmentSettings(environment: environment))
        options.device = .cpu
        options.alpha = 0.35
        options.inputSize = 96
        options.quiet = true
        do {
            _ = try Commands.featurize(options)
            Issue.record("featurize found ImageNet weights in empty folders")
        } catch {
            let text = "\(error)"
            let name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5"
            #expect(text.hasPrefix("no ImageNet weights found; looked in $IMGFEAT_WEIGHTS, \(root.path)/cache/imgfeat, "
                                   + "\(root.path)/keras/models for \(name); offline"), "\(text)")
            #expect(text.hasSuffix("or pass --weights FILE"), "\(text)")
            #expect(!text.contains("\n"), "multi-line error: \(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path), "a refused command left its output folder")
    }
}
