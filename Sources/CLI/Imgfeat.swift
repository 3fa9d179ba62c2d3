import ArgumentParser
import Foundation
import Pipeline

@main
struct Imgfeat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imgfeat",
        abstract: "Featurize JPEG images with Keras MobileNetV2 and reduce the features with PCA.",
        version: ImgfeatVersion.current,
        subcommands: [Run.self, Featurize.self, PCA.self, Bench.self, Devices.self, KernelCheck.self, Weights.self, Preprocess.self])
}

/// Runs a command body and turns any failure into a one-line message and a non-zero exit.
func reportingFailure<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("imgfeat: error: \(PipelineError.line(for: error))\n".utf8))
        throw ExitCode.failure
    }
}
