import VulkanRuntime

/// The Vulkan engine's batch when the user gives none: a pure function of a device's kind, memory and
/// binding limit, so it can be tested on any device's numbers.
public enum VulkanBatchRule {
    /// CPU drivers (lavapipe): batching beyond a few images gains nothing there, and memory is the host's.
    public static let cpuDriverBatch = 16
    /// GPUs: enough images per submission to fill the device and hide the per-submission cost.
    public static let gpuBatch = 256
    /// Share of the largest device-local heap the engine's per-image device buffers may take on a
    /// discrete GPU (other processes, the driver and the PCA statistics need the rest); integrated GPUs
    /// share the host's memory and take half that.
    public static let discreteMemoryShare = 0.25

    /// `gpuBatch` on GPUs, lowered until the largest activation of the batch fits one binding
    /// (`maxStorageBufferRange`) and `deviceBytesPerImage` × batch fits the memory share; a multiple of 8
    /// when 8 or more; `cpuDriverBatch` (under the same binding limit) on CPU and other devices.
    public static func defaultBatch(kind: DeviceKind, deviceLocalBytes: UInt64, maxStorageBufferRange: UInt64,
                                    largestActivationBytes: Int, deviceBytesPerImage: Int) -> Int {
        let bindingLimit = largestActivationBytes > 0 ? Int(maxStorageBufferRange / UInt64(largestActivationBytes)) : Int.max
        switch kind {
        case .discreteGPU, .integratedGPU, .virtualGPU:
            let share = kind == .discreteGPU || kind == .virtualGPU ? discreteMemoryShare : discreteMemoryShare / 2
            let memoryLimit = deviceBytesPerImage > 0 ? Int(Double(deviceLocalBytes) * share) / deviceBytesPerImage : Int.max
            let batch = min(gpuBatch, bindingLimit, memoryLimit)
            return max(1, batch >= 8 ? batch / 8 * 8 : batch)
        case .cpu, .other:
            return max(1, min(cpuDriverBatch, bindingLimit))
        }
    }
}
