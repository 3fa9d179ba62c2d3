/// Which stage of a run held the other back, from the time each spent blocked on the queue between them.
public enum Bottleneck: String, Codable, Sendable {
    /// The decode waited for the device (the queue of decoded batches was full): a faster device would help.
    case device
    /// The device waited for decoded batches (the queue was empty): more cores or draft mode would help.
    case decode
    /// Neither waited for long: both stages were kept busy.
    case balanced

    /// Share of the run a stage must spend blocked before it counts as held back.
    public static let threshold = 0.10

    /// The verdict for a run of `seconds` in which the device stage waited `deviceWaitedForInput` for
    /// decoded batches (after the first) and the decode `decodeWaitedForDevice` for room in the queue:
    /// the stage that waited is the fast one; the one it waited for is the bottleneck.
    public static func classify(deviceWaitedForInput: Double, decodeWaitedForDevice: Double, seconds: Double) -> Bottleneck {
        guard seconds > 0 else { return .balanced }
        let device = deviceWaitedForInput / seconds, decode = decodeWaitedForDevice / seconds
        if device >= threshold && device > decode { return .decode }
        if decode >= threshold && decode > device { return .device }
        return .balanced
    }
}
