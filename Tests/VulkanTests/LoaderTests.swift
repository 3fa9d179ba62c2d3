import Foundation
import Shaders
import Testing
import VulkanRuntime

/// libvulkan is opened with dlopen and its function pointers are taken once per process, from the
/// first instance (Sources/CVulkan/loader.c). These check that the pointers serve instances and devices
/// made later, after that instance is gone, and from several threads at once. The missing-loader path
/// cannot be reached in a process that has loaded the library: Tests/python/test_vulkan_loader.py runs
/// the tool without it.
@Suite struct LoaderTests {
    /// Fills `count` floats with `value` on a fresh buffer and reads them back.
    private func fill(on context: VulkanContext, count: Int, value: Float) throws -> [Float] {
        let pipeline = try ComputePipeline(context: context, name: "fill", source: ShaderSource.named("fill"),
                                           bindingCount: 1, pushConstantBytes: 8)
        let device = try Buffer(context: context, size: count * 4, location: .device)
        let readback = try Buffer(context: context, size: count * 4, location: .readback)
        let sequence = try CommandSequence(context: context)
        try sequence.begin()
        try sequence.dispatch(pipeline, [BufferBinding(device)], push: [UInt32(count), value.bitPattern],
                              groups: ((count + 63) / 64, 1, 1))
        sequence.barrier()
        try sequence.copy(from: device, to: readback, size: device.size)
        sequence.barrier()
        try sequence.run()
        return try readback.read(Float.self, count: count)
    }

    @Test func contextsOpenedOneAfterAnotherEachWork() throws {
        // Each context owns its own VkInstance; the second is made after the first is destroyed, so it
        // runs on pointers taken through an instance that no longer exists (when it was the first).
        for round in 0..<3 {
            let context = try VulkanContext(options: VulkanOptions(validation: true))
            let value = Float(round) + 0.5
            #expect(try fill(on: context, count: 300, value: value) == [Float](repeating: value, count: 300))
            #expect(context.validationLog?.messages == [])
        }
    }

    @Test func contextsOpenedConcurrentlyEachWork() async throws {
        let results = try await withThrowingTaskGroup(of: (Int, [Float], [String]?).self) { group in
            for task in 0..<4 {
                group.addTask {
                    _ = try VulkanContext.devices()
                    let context = try VulkanContext(options: VulkanOptions(validation: task % 2 == 0))
                    let values = try fill(on: context, count: 129, value: Float(task))
                    return (task, values, context.validationLog?.messages)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
        for (task, values, messages) in results {
            #expect(values == [Float](repeating: Float(task), count: 129), "task \(task)")
            #expect(messages == (task % 2 == 0 ? [] : nil), "task \(task)")
        }
    }

    @Test func devicesAreListedOnEveryCall() throws {
        // Every call makes and destroys its own instance through the same table.
        let first = try VulkanContext.devices()
        let second = try VulkanContext.devices()
        #expect(!first.isEmpty)
        #expect(first.map(\.name) == second.map(\.name))
    }
}
