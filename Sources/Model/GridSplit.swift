import VulkanRuntime

/// Splits a dispatch whose grid along one axis would pass the device's limit (65,535 work groups on a
/// GPU's y and z axes: a batch of 256 at 112×112 is 3.2 M GEMM rows) into runs of consecutive items
/// (a GEMM's pixels, a windowed convolution's images), each recorded as its own dispatch over bindings
/// that start at the run's first item. The shaders stay as they are; every run but the last is a whole
/// number of `step` items, so that each binding's offset keeps the device's storage-buffer alignment.
public struct GridSplit: Sendable {
    /// The runs of items, in order, covering 0..<items.
    public let runs: [Range<Int>]

    /// `perGroup` items per work group along grid `axis` (0, 1, 2) of `device`; `bytesPerItem` for each
    /// binding that is offset. `what` names the launch in the error when not even `step` items fit one dispatch.
    public init(items: Int, perGroup: Int, axis: Int, device: DeviceInfo, bytesPerItem: [Int], what: String) throws {
        try self.init(items: items, perGroup: perGroup, maxGroups: Int(device.maxWorkgroupCount[axis]), bytesPerItem: bytesPerItem,
                      alignment: Int(device.minStorageBufferOffsetAlignment), what: what)
    }

    /// The same with the limits given: at most `maxGroups` groups a dispatch, offsets `alignment`-aligned.
    public init(items: Int, perGroup: Int, maxGroups: Int, bytesPerItem: [Int], alignment: Int, what: String) throws {
        let capacity = maxGroups * perGroup
        guard items > capacity else {
            runs = [0..<items]
            return
        }
        let alignment = max(1, alignment)
        let step = bytesPerItem.reduce(1) { Self.lcm($0, alignment / Self.gcd($1, alignment)) }
        let run = capacity / step * step
        guard run > 0 else {
            throw VulkanError(call: "GridSplit", message: "\(what): \(step) items (\(perGroup) a work group) are needed "
                              + "for an aligned run, but the device takes \(maxGroups) work groups a dispatch")
        }
        runs = stride(from: 0, to: items, by: run).map { $0..<min(items, $0 + run) }
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    private static func lcm(_ a: Int, _ b: Int) -> Int { a / gcd(a, b) * b }
}

extension GridSplit {
    /// One run of a 1×1 GEMM's rows and its bindings (the residual bound to the input where there is none,
    /// as both GEMM shaders take it).
    struct GEMMRun {
        let rows: Int
        let input, residual, output: BufferBinding
    }

    /// A 1×1 GEMM over `rows` pixels with their rows along the grid's y axis, `rowsPerGroup` a work group:
    /// one run, or several where the grid would pass `device`'s limit.
    static func gemmRuns(rows: Int, rowsPerGroup: Int, layer: ConvLayer, device: DeviceInfo, input: BufferBinding,
                         inputFormat: StorageFormat, residual: BufferBinding?, output: BufferBinding,
                         outputFormat: StorageFormat) throws -> [GEMMRun] {
        let inBytes = layer.inChannels * inputFormat.size, outBytes = layer.outChannels * outputFormat.size
        let split = try GridSplit(items: rows, perGroup: rowsPerGroup, axis: 1, device: device, bytesPerItem: [inBytes, outBytes],
                                  what: layer.name)
        return split.runs.map { run in
            let runInput = input.items(run, bytesPerItem: inBytes)
            return GEMMRun(rows: run.count, input: runInput, residual: residual?.items(run, bytesPerItem: outBytes) ?? runInput,
                           output: output.items(run, bytesPerItem: outBytes))
        }
    }
}

extension BufferBinding {
    /// The part of this binding that holds items `range`, `bytesPerItem` bytes each.
    func items(_ range: Range<Int>, bytesPerItem: Int) -> BufferBinding {
        BufferBinding(buffer, offset: offset + range.lowerBound * bytesPerItem, range: range.count * bytesPerItem)
    }
}
