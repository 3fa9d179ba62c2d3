import Foundation
import VulkanRuntime

/// One submission slot of the Vulkan engine: its command sequence and its persistent host-visible staging
/// and readback memory, reused batch after batch (grown, rarely, when a batch's packed pixels need more).
final class VulkanEngineSlot {
    /// A part of one submitted batch this slot is running.
    struct Job {
        let batch: VulkanEngineSubmission
        /// Images of the batch this submission covers.
        let range: Range<Int>
        /// Whether the test seam's faulty path was active when it was recorded.
        let faulty: Bool
    }

    let sequence: CommandSequence
    let readback: Buffer
    private(set) var upload: Buffer?
    /// The submission in flight; nil when idle.
    var job: Job?
    private let context: VulkanContext

    init(context: VulkanContext, readbackBytes: Int) throws {
        self.context = context
        readback = try Buffer(context: context, size: readbackBytes, location: .readback)
        sequence = try CommandSequence(context: context, maxTimestamps: 128)
    }

    /// A host-visible upload buffer of at least `bytes` (only touched while this slot is idle).
    func staging(bytes: Int) throws -> Buffer {
        if let upload, upload.size >= bytes { return upload }
        let buffer = try Buffer(context: context, size: max(bytes + bytes / 2, 256), location: .upload)
        upload = buffer
        return buffer
    }
}

/// One batch given to `VulkanEngine.submit`: its features fill in as its submissions finish.
final class VulkanEngineSubmission {
    let tag: Int
    let rows: Int
    var features: [Float]
    /// Submissions of this batch not yet read back.
    var remaining = 0
    /// Whether a device-side consumer already saw the features (else the observer gets them on the host).
    let observedOnDevice: Bool
    let observer: (any FeatureBatchObserver)?

    init(tag: Int, rows: Int, dimension: Int, observedOnDevice: Bool, observer: (any FeatureBatchObserver)?) {
        self.tag = tag
        self.rows = rows
        self.features = [Float](repeating: 0, count: rows * dimension)
        self.observedOnDevice = observedOnDevice
        self.observer = observer
    }
}
