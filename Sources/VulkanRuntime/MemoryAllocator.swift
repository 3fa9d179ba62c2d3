import CVulkan
import Foundation

/// A sub-allocation inside one VkDeviceMemory block.
struct MemorySlice {
    let block: MemoryBlock
    let offset: UInt64
    let size: UInt64
}

/// One VkDeviceMemory allocation carved into many buffers (first fit, neighbours merged on free).
final class MemoryBlock {
    let memory: VkDeviceMemory
    let size: UInt64
    let memoryType: UInt32
    /// Base address when the block's memory is host-visible (mapped once for its lifetime).
    let mapped: UnsafeMutableRawPointer?
    private var free: [(offset: UInt64, size: UInt64)]
    private let device: VulkanDevice

    init(device: VulkanDevice, size: UInt64, memoryType: UInt32, hostVisible: Bool) throws {
        self.device = device
        var info = VkMemoryAllocateInfo()
        info.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
        info.allocationSize = size
        info.memoryTypeIndex = memoryType
        var memory: VkDeviceMemory?
        try check(vkAllocateMemory(device.handle, &info, nil, &memory), "vkAllocateMemory")
        guard let memory else { throw VulkanError(call: "vkAllocateMemory", message: "returned no memory") }
        self.memory = memory
        self.size = size
        self.memoryType = memoryType
        var pointer: UnsafeMutableRawPointer?
        if hostVisible {
            let result = vkMapMemory(device.handle, memory, 0, size, 0, &pointer)
            if result.rawValue < 0 { vkFreeMemory(device.handle, memory, nil) }
            try check(result, "vkMapMemory")
        }
        mapped = pointer
        free = [(0, size)]
    }

    /// The offset of a free range of `size` bytes aligned to `alignment`, now taken; nil when full.
    func take(size: UInt64, alignment: UInt64) -> UInt64? {
        for (i, range) in free.enumerated() {
            let start = (range.offset + alignment - 1) / alignment * alignment
            let end = range.offset + range.size
            guard start + size <= end else { continue }
            free.remove(at: i)
            if end > start + size { free.insert((start + size, end - start - size), at: i) }
            if start > range.offset { free.insert((range.offset, start - range.offset), at: i) }
            return start
        }
        return nil
    }

    /// Returns a range; merges it with free neighbours.
    func give(offset: UInt64, size: UInt64) {
        let i = free.firstIndex { $0.offset > offset } ?? free.count
        free.insert((offset, size), at: i)
        if i + 1 < free.count, free[i].offset + free[i].size == free[i + 1].offset {
            free[i].size += free[i + 1].size
            free.remove(at: i + 1)
        }
        if i > 0, free[i - 1].offset + free[i - 1].size == free[i].offset {
            free[i - 1].size += free[i].size
            free.remove(at: i)
        }
    }

    var isEmpty: Bool { free.count == 1 && free[0].size == size }

    deinit {
        if mapped != nil { vkUnmapMemory(device.handle, memory) }
        vkFreeMemory(device.handle, memory, nil)
    }
}

/// A simple block allocator: a few large VkDeviceMemory blocks per memory type, many buffers in each.
final class MemoryAllocator: @unchecked Sendable {
    static let blockSize: UInt64 = 64 << 20
    private let lock = NSLock()
    private var blocks: [MemoryBlock] = []
    private let device: VulkanDevice
    let properties: VkPhysicalDeviceMemoryProperties

    init(device: VulkanDevice, physicalDevice: VkPhysicalDevice) {
        self.device = device
        var properties = VkPhysicalDeviceMemoryProperties()
        vkGetPhysicalDeviceMemoryProperties(physicalDevice, &properties)
        self.properties = properties
    }

    /// VkDeviceMemory blocks allocated since the allocator was made (freed ones included).
    private(set) var blocksCreated = 0

    /// Number of VkDeviceMemory blocks currently allocated.
    var blockCount: Int { lock.withLock { blocks.count } }
    var lockedBlocksCreated: Int { lock.withLock { blocksCreated } }

    func flags(ofType index: UInt32) -> UInt32 {
        withUnsafeBytes(of: properties.memoryTypes) { raw in
            raw.bindMemory(to: VkMemoryType.self)[Int(index)].propertyFlags
        }
    }

    /// The first memory type allowed by `typeBits` with all `required` flags, preferring `preferred` too.
    func memoryType(typeBits: UInt32, required: UInt32, preferred: UInt32) throws -> UInt32 {
        let candidates = (0..<properties.memoryTypeCount).filter {
            typeBits & (1 << $0) != 0 && flags(ofType: $0) & required == required
        }
        if let best = candidates.first(where: { flags(ofType: $0) & preferred == preferred }) { return best }
        guard let any = candidates.first else {
            throw VulkanError(call: "MemoryAllocator", message: "no memory type with flags 0x\(String(required, radix: 16))")
        }
        return any
    }

    func allocate(requirements: VkMemoryRequirements, required: UInt32, preferred: UInt32) throws -> MemorySlice {
        let type = try memoryType(typeBits: requirements.memoryTypeBits, required: required, preferred: preferred)
        let hostVisible = flags(ofType: type) & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT.rawValue != 0
        let alignment = max(requirements.alignment, 256)
        return try lock.withLock {
            for block in blocks where block.memoryType == type {
                if let offset = block.take(size: requirements.size, alignment: alignment) {
                    return MemorySlice(block: block, offset: offset, size: requirements.size)
                }
            }
            let size = max(Self.blockSize, (requirements.size + alignment - 1) / alignment * alignment)
            let block = try MemoryBlock(device: device, size: size, memoryType: type, hostVisible: hostVisible)
            blocks.append(block)
            blocksCreated += 1
            guard let offset = block.take(size: requirements.size, alignment: alignment) else {
                throw VulkanError(call: "MemoryAllocator", message: "fresh block of \(size) bytes cannot hold \(requirements.size)")
            }
            return MemorySlice(block: block, offset: offset, size: requirements.size)
        }
    }

    /// Returns a slice; frees its block when nothing else lives in it.
    func free(_ slice: MemorySlice) {
        lock.withLock {
            slice.block.give(offset: slice.offset, size: slice.size)
            // Keep one empty block per memory type so a loop of allocate/free does not thrash.
            let sameType = blocks.filter { $0.memoryType == slice.block.memoryType }.count
            if slice.block.isEmpty && sameType > 1 { blocks.removeAll { $0 === slice.block } }
        }
    }
}
