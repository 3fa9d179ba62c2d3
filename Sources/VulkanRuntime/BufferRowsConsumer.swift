/// Work recorded into a command sequence that reads the first rows of a buffer another step
/// produced (a reduction over that step's output, say), so the data never leaves the device.
public protocol BufferRowsConsumer: AnyObject {
    /// The context whose buffers it reads.
    var context: VulkanContext { get }
    /// 32-bit elements per row.
    var rowLength: Int { get }
    /// Records reading rows `0..<rows` of `buffer`; the caller puts a barrier before reading `buffer` again.
    func record(_ sequence: CommandSequence, rows: Int, of buffer: Buffer) throws
}
