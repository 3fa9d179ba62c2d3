/// How the decode stage and the device stage kept each other busy in a run (summary.json `feeding`).
public struct Feeding: Codable, Sendable, Equatable {
    /// Seconds the device stage waited for decoded batches (after the first one).
    public var deviceWaitedForInput: Double
    /// Seconds the decode waited for room in the queue, i.e. for the device.
    public var decodeWaitedForDevice: Double
    /// Seconds from the first batch asked for to the last one done.
    public var seconds: Double
    /// Images per batch.
    public var batch: Int
    /// Seconds the host waited on the Vulkan device's fences (nil on the CPU engines).
    public var hostWaitedForDevice: Double?
    public var bottleneck: Bottleneck

    public init(deviceWaitedForInput: Double, decodeWaitedForDevice: Double, seconds: Double, batch: Int,
                hostWaitedForDevice: Double? = nil) {
        self.deviceWaitedForInput = deviceWaitedForInput
        self.decodeWaitedForDevice = decodeWaitedForDevice
        self.seconds = seconds
        self.batch = batch
        self.hostWaitedForDevice = hostWaitedForDevice
        bottleneck = Bottleneck.classify(deviceWaitedForInput: deviceWaitedForInput,
                                         decodeWaitedForDevice: decodeWaitedForDevice, seconds: seconds)
    }

    /// The summary's line.
    public var line: String {
        let why: String
        switch bottleneck {
        case .decode: why = "the device waited for decoded images"
        case .device: why = "the decode waited for the device"
        case .balanced: why = "neither stage waited long for the other"
        }
        return String(format: "bottleneck: %@ (%@: device waited %.1f s for input, decode waited %.1f s for the device, of %.1f s; batch %d)",
                      bottleneck.rawValue, why, deviceWaitedForInput, decodeWaitedForDevice, seconds, batch)
    }
}
