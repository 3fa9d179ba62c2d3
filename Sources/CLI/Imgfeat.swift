import ArgumentParser
import Pipeline

@main
struct Imgfeat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imgfeat",
        abstract: "Featurize JPEG images with MobileNetV2 and reduce the features with PCA.")
}
