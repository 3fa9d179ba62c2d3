import Foundation
import Imaging
import Model
import Testing
import TestSupport
import VulkanRuntime

/// Feeding the device: batches stay in flight across `submit` calls, in order, and the steady path
/// creates no Vulkan object; the default batch rule on several devices' numbers.
@Suite struct FeedingTests {
    static let size = 32
    static let model = FoldedMobileNetV2.random(config: MobileNetV2Config(alpha: 0.35, inputSize: size), seed: 41)

    static func images(_ count: Int, seed: UInt64) -> [RGBImage] {
        (0..<count).map { PreprocessTests.randomImage(width: 45 + $0 % 3, height: 29, seed: seed + UInt64($0)) }
    }

    /// Up to `VulkanEngine.slotCount` batches are in flight before the first comes back; every batch comes
    /// back once, in order, with the features `features(images:)` gives; after a warm-up, more batches of the
    /// same shapes create no buffer, memory block, pipeline, descriptor pool or command sequence.
    @Test func batchesStayInFlightInOrderWithoutNewVulkanObjects() throws {
        // A context of its own: other tests create objects on the shared one concurrently.
        let context = try VulkanContext(options: VulkanOptions(validation: true))
        let engine = try VulkanEngine(model: Self.model, context: context, batchSize: 2)
        let batches = (0..<7).map { Self.images(2, seed: 100 + UInt64($0) * 10) }
        let expected = try batches.map { try engine.features(images: $0) }  // also the warm-up
        _ = try engine.features(images: batches[0] + batches[1] + batches[2])  // every slot used once
        let before = context.creations

        var returned: [EngineCompletion] = []
        for (tag, batch) in batches.enumerated() {
            let done = try engine.submit(.pixels(batch), tag: tag, observer: nil)
            // Batch k is collected only when its slot is needed again, slotCount submissions later.
            let expectedTags = tag >= VulkanEngine.slotCount ? [tag - VulkanEngine.slotCount] : []
            #expect(done.map(\.tag) == expectedTags, "submit \(tag) returned \(done.map(\.tag))")
            returned += done
        }
        returned += try engine.flush()
        #expect(returned.map(\.tag) == Array(batches.indices))
        for (completion, features) in zip(returned, expected) {
            #expect(completion.features == features, "batch \(completion.tag) differs when streamed")
        }
        let created = context.creations.since(before)
        #expect(created == ResourceCreations(), "the steady path created \(created)")
        #expect(engine.deviceWaitSeconds >= 0 && engine.packSeconds > 0)
        #expect(context.validationLog?.messages == [])
    }

    /// The rule as a pure function of a device's numbers.
    @Test func defaultBatchRule() {
        let mib: UInt64 = 1 << 20, gib: UInt64 = 1 << 30
        // alpha 1.0 / 224 fp32: the first expand output, 112·112·96·4 bytes, bounds one binding.
        let largest = 112 * 112 * 96 * 4, perImage = 3 * largest + 224 * 224 * 3 * 4 + 1280 * 4
        func batch(_ kind: DeviceKind, heap: UInt64, range: UInt64) -> Int {
            VulkanBatchRule.defaultBatch(kind: kind, deviceLocalBytes: heap, maxStorageBufferRange: range,
                                         largestActivationBytes: largest, deviceBytesPerImage: perImage)
        }
        #expect(batch(.discreteGPU, heap: 141 * gib, range: 4 * gib - 1) == 256, "H200-class")
        #expect(batch(.discreteGPU, heap: 24 * gib, range: 4 * gib - 1) == 256, "24 GiB card")
        // 4 GiB: a quarter is 1 GiB, 70 images of 15.1 MB, rounded down to a multiple of 8.
        #expect(batch(.discreteGPU, heap: 4 * gib, range: 4 * gib - 1) == 64)
        // A 128 MiB binding holds 27 images of the largest activation, rounded down to 24.
        #expect(batch(.discreteGPU, heap: 24 * gib, range: 128 * mib) == 24)
        #expect(batch(.integratedGPU, heap: 8 * gib, range: 4 * gib - 1) == 64, "integrated: an eighth of the heap")
        #expect(batch(.cpu, heap: 2 * gib, range: 128 * mib) == VulkanBatchRule.cpuDriverBatch, "lavapipe")
        #expect(batch(.cpu, heap: 2 * gib, range: 32 * mib) == 6, "a CPU driver under the binding limit")
        #expect(batch(.discreteGPU, heap: 64 * mib, range: 4 * gib - 1) == 1, "never below 1")
        #expect(VulkanBatchRule.defaultBatch(kind: .other, deviceLocalBytes: 0, maxStorageBufferRange: 0,
                                             largestActivationBytes: 0, deviceBytesPerImage: 0) == VulkanBatchRule.cpuDriverBatch)
    }

    /// The engine takes the rule's batch for this device when given none.
    @Test func engineDefaultBatchIsTheRules() throws {
        let context = try vulkanContext()
        let engine = try VulkanEngine(model: Self.model, context: context)
        #expect(engine.batchSize == VulkanEngine.defaultBatch(Self.model, precision: .fp32, info: context.info))
        if context.info.kind == .cpu { #expect(engine.batchSize == VulkanBatchRule.cpuDriverBatch) }
    }
}
