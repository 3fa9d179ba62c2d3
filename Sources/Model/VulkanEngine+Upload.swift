import Foundation
import Imaging
import VulkanRuntime

/// The Vulkan engine's uploads: packed pixels into a slot's staging, and tables uploaded once.
extension VulkanEngine {
    /// Packs `images` into `slot`'s staging and records their upload and device-side resize.
    func recordPixels(_ images: [RGBImage], slot: VulkanEngineSlot, sequence: CommandSequence) throws {
        let size = model.config.inputSize
        let packed = ModelInput.PackedImages(images, size: size)
        let arrays: [[UInt32]] = [packed.pixelWords, packed.table, packed.coefficients.map { UInt32(bitPattern: $0) }]
        let offsets = arrays.reduce(into: [0]) { $0.append($0.last! + ($1.count * 4 + 255) / 256 * 256) }
        let staging = try slot.staging(bytes: offsets[3])
        for (array, offset) in zip(arrays, offsets) { try staging.write(array, at: offset / 4) }
        pixels = try grown(pixels, bytes: arrays[0].count * 4)
        table = try grown(table, bytes: arrays[1].count * 4)
        coefficients = try grown(coefficients, bytes: arrays[2].count * 4)
        intermediate = try grown(intermediate, bytes: packed.intermediateWords * 4)
        guard let pixels, let table, let coefficients, let intermediate else { return }
        for (index, target) in [pixels, table, coefficients].enumerated() {
            try sequence.copy(from: staging, offset: offsets[index], to: target, size: arrays[index].count * 4)
        }
        sequence.barrier()
        if profiling { sequence.timestamp("upload") }
        try preprocess.record(sequence, packed: packed, pixels: BufferBinding(pixels, range: arrays[0].count * 4),
                              table: BufferBinding(table, range: arrays[1].count * 4),
                              coefficients: BufferBinding(coefficients, range: arrays[2].count * 4),
                              intermediate: BufferBinding(intermediate, range: packed.intermediateWords * 4),
                              scaleTable: BufferBinding(scaleTable),
                              output: BufferBinding(network.input, range: packed.count * size * size * 3 * precision.elementSize))
        sequence.barrier()
        if profiling { sequence.timestamp("preprocess") }
    }

    /// `buffer` if it holds `bytes`, else a new one with room to spare.
    func grown(_ buffer: Buffer?, bytes: Int) throws -> Buffer {
        if let buffer, buffer.size >= bytes { return buffer }
        return try Buffer(context: context, size: max(bytes + bytes / 2, 256), location: .device)
    }

    func uploadOnce(_ values: [Float], to buffer: Buffer) throws {
        let staging = try Buffer(context: context, size: values.count * 4, location: .upload)
        try staging.write(values)
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        try sequence.copy(from: staging, to: buffer, size: values.count * 4)
        sequence.barrier()
        try sequence.run()
    }
}
