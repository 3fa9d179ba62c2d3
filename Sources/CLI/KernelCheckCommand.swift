import ArgumentParser
import Foundation
import Pipeline

struct KernelCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-check",
        abstract: "Check the subgroup-reduction and cooperative-matrix kernels on a Vulkan device against the plain references (the GPU kit runs it).")

    @Option(help: "Vulkan device index (see `imgfeat devices`; default: the one --device vulkan uses).")
    var deviceIndex: Int?

    func run() throws {
        var setup = try reportingFailure { try EnvironmentSettings.process.vulkan }
        setup.deviceIndex = deviceIndex
        let passed = try reportingFailure { try Diagnostics.coopmatCheck(setup) { print($0) } }
        if !passed { throw ExitCode.failure }
    }
}
