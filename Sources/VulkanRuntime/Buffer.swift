import CVulkan

/// Where a buffer's memory lives.
public enum BufferLocation: Sendable {
    /// Fast memory for the shaders (may not be host-visible).
    case device
    /// Host-visible, coherent memory for staging uploads.
    case upload
    /// Host-visible memory, cached where possible, for staging downloads.
    case readback
}

/// A storage buffer sub-allocated from one of the context's memory blocks; freed in deinit.
public final class Buffer: @unchecked Sendable {
    public let size: Int
    public let location: BufferLocation
    let handle: VkBuffer
    private let slice: MemorySlice
    private let context: VulkanContext

    /// Host address of the buffer's bytes when its memory is host-visible, else nil.
    public var contents: UnsafeMutableRawPointer? {
        slice.block.mapped.map { $0 + Int(slice.offset) }
    }

    public init(context: VulkanContext, size: Int, location: BufferLocation = .device) throws {
        guard size > 0 else { throw VulkanError(call: "Buffer", message: "size must be positive, got \(size)") }
        self.context = context
        self.size = size
        self.location = location
        var info = VkBufferCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        info.size = UInt64(size)
        info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_SRC_BIT.rawValue
            | VK_BUFFER_USAGE_TRANSFER_DST_BIT.rawValue
        info.sharingMode = VK_SHARING_MODE_EXCLUSIVE
        var buffer: VkBuffer?
        try check(vkCreateBuffer(context.handle, &info, nil, &buffer), "vkCreateBuffer")
        guard let buffer else { throw VulkanError(call: "vkCreateBuffer", message: "returned no buffer") }
        var requirements = VkMemoryRequirements()
        vkGetBufferMemoryRequirements(context.handle, buffer, &requirements)
        let visible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT.rawValue | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT.rawValue
        let (required, preferred): (UInt32, UInt32)
        switch location {
        case .device: (required, preferred) = (0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT.rawValue)
        case .upload: (required, preferred) = (visible, visible)
        case .readback: (required, preferred) = (visible, visible | VK_MEMORY_PROPERTY_HOST_CACHED_BIT.rawValue)
        }
        do {
            slice = try context.allocator.allocate(requirements: requirements, required: required, preferred: preferred)
            try check(vkBindBufferMemory(context.handle, buffer, slice.block.memory, slice.offset), "vkBindBufferMemory")
            context.creationCounts.update { $0.buffers += 1 }
        } catch {
            vkDestroyBuffer(context.handle, buffer, nil)
            throw error
        }
        handle = buffer
    }

    /// Copies `values` into the buffer at element offset `at`; the buffer must be host-visible.
    public func write<T: BitwiseCopyable>(_ values: [T], at element: Int = 0) throws {
        let bytes = values.count * MemoryLayout<T>.stride
        let start = element * MemoryLayout<T>.stride
        guard let contents else { throw VulkanError(call: "Buffer.write", message: "buffer is not host-visible") }
        guard start + bytes <= size else {
            throw VulkanError(call: "Buffer.write", message: "\(bytes) bytes at \(start) overflow a \(size)-byte buffer")
        }
        values.withUnsafeBytes { source in
            if let base = source.baseAddress { (contents + start).copyMemory(from: base, byteCount: bytes) }
        }
    }

    /// Reads `count` elements starting at element offset `at`; the buffer must be host-visible.
    public func read<T: BitwiseCopyable>(_ type: T.Type, count: Int, at element: Int = 0) throws -> [T] {
        let bytes = count * MemoryLayout<T>.stride
        let start = element * MemoryLayout<T>.stride
        guard let contents else { throw VulkanError(call: "Buffer.read", message: "buffer is not host-visible") }
        guard start + bytes <= size else {
            throw VulkanError(call: "Buffer.read", message: "\(bytes) bytes at \(start) overflow a \(size)-byte buffer")
        }
        return [T](unsafeUninitializedCapacity: count) { destination, initialized in
            UnsafeMutableRawBufferPointer(destination).copyMemory(
                from: UnsafeRawBufferPointer(start: contents + start, count: bytes))
            initialized = count
        }
    }

    deinit {
        vkDestroyBuffer(context.handle, handle, nil)
        context.allocator.free(slice)
    }
}
