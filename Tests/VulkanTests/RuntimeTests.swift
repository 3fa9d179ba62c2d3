import Foundation
import Shaders
import Testing
import TestSupport
import VulkanRuntime

@Suite struct RuntimeTests {
    @Test func listsAtLeastOneDevice() throws {
        let devices = try VulkanContext.devices()
        #expect(!devices.isEmpty)
        let index = try #require(VulkanContext.preferredIndex(among: devices))
        #expect(devices[index].maxStorageBufferRange > 0)
        #expect(devices[index].summary.contains(devices[index].name))
    }

    @Test(arguments: [1, 3, 13, 127, 4099])
    func fillShaderWritesEveryElement(count: Int) throws {
        let context = try vulkanContext()
        let pipeline = try ComputePipeline(context: context, name: "fill", source: ShaderSource.named("fill"),
                                           bindingCount: 1, pushConstantBytes: 8)
        let device = try Buffer(context: context, size: (count + 1) * 4, location: .device)
        let readback = try Buffer(context: context, size: (count + 1) * 4, location: .readback)
        let sequence = try CommandSequence(context: context)
        try sequence.begin()
        sequence.fill(device, with: Float.nan.bitPattern)
        sequence.barrier()
        sequence.timestamp("start")
        try sequence.dispatch(pipeline, [BufferBinding(device)], push: [UInt32(count), Float(2.5).bitPattern],
                              groups: ((count + 63) / 64, 1, 1))
        sequence.timestamp("fill")
        sequence.barrier()
        try sequence.copy(from: device, to: readback, size: device.size)
        sequence.barrier()
        try sequence.run()
        let values = try readback.read(Float.self, count: count + 1)
        let expected = [Float](repeating: 2.5, count: count)
        if let bad = firstMismatch(Array(values.prefix(count)), expected, relativeTolerance: 0) {
            Issue.record("element \(bad.index): expected \(bad.expected), got \(bad.got)")
        }
        #expect(values[count].isNaN, "the shader wrote past `count`")
        let stamps = try sequence.timestamps()
        if context.info.supportsTimestamps {
            #expect(stamps.map(\.label) == ["start", "fill"])
            // Timestamps are relative to the first and ordered as recorded.
            #expect(stamps[0].nanoseconds == 0 && stamps[1].nanoseconds >= stamps[0].nanoseconds,
                    "timestamps \(stamps)")
        }
        #expect(try validationMessages() == [])
    }

    @Test func uploadCopyDownloadRoundTrips() throws {
        let context = try vulkanContext()
        var generator = SeededGenerator(seed: 7)
        let values = (0..<1001).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) }
        let upload = try Buffer(context: context, size: values.count * 4, location: .upload)
        let device = try Buffer(context: context, size: values.count * 4, location: .device)
        let readback = try Buffer(context: context, size: values.count * 4, location: .readback)
        try upload.write(values)
        let sequence = try CommandSequence(context: context)
        try sequence.begin()
        try sequence.copy(from: upload, to: device, size: upload.size)
        sequence.barrier()
        try sequence.copy(from: device, to: readback, size: device.size)
        sequence.barrier()
        try sequence.run()
        #expect(try readback.read(UInt32.self, count: values.count) == values)
    }

    @Test func buffersShareMemoryBlocks() throws {
        let context = try vulkanContext()
        let buffers = try (0..<200).map { try Buffer(context: context, size: 4096 + $0, location: .device) }
        // 200 small buffers must fit a few blocks, not one VkDeviceMemory each.
        #expect(context.memoryBlockCount < 10)
        #expect(context.memoryBlockCount >= 1, "200 buffers but no memory block")
        for (index, buffer) in buffers.enumerated() where buffer.size != 4096 + index {
            Issue.record("buffer \(index): size \(buffer.size), asked for \(4096 + index)")
            break
        }
    }

    @Test func specializationConstantsReachTheShader() throws {
        let context = try vulkanContext()
        let source = """
        #version 450
        layout(local_size_x = 1) in;
        layout(constant_id = 0) const uint VALUE = 1;
        layout(std430, binding = 0) buffer Out { uint data[]; };
        void main() { data[0] = VALUE * 3u + ADDEND; }
        """
        let pipeline = try ComputePipeline(context: context, name: "spec", source: source,
                                           defines: ["ADDEND": "5u"], bindingCount: 1, specialization: [14])
        let out = try Buffer(context: context, size: 4, location: .readback)
        let sequence = try CommandSequence(context: context)
        try sequence.begin()
        try sequence.dispatch(pipeline, [BufferBinding(out)], groups: (1, 1, 1))
        sequence.barrier()
        try sequence.run()
        #expect(try out.read(UInt32.self, count: 1) == [47])
    }

    @Test func compileErrorsNameTheShader() throws {
        let context = try vulkanContext()
        #expect {
            _ = try ComputePipeline(context: context, name: "broken", source: "#version 450\nvoid main() { x = 1; }",
                                    bindingCount: 0)
        } throws: { error in
            String(describing: error).contains("broken")
        }
    }
}
