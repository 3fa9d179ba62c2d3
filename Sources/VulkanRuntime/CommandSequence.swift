import CVulkan

/// A buffer range bound to one storage-buffer binding.
public struct BufferBinding {
    public let buffer: Buffer
    public let offset: Int
    public let range: Int

    public init(_ buffer: Buffer, offset: Int = 0, range: Int? = nil) {
        self.buffer = buffer
        self.offset = offset
        self.range = range ?? (buffer.size - offset)
    }
}

/// A recorded command buffer with its own descriptor pools, query pool and fence: record with
/// `begin`, `dispatch`, `barrier`, `copy`, `timestamp`; then `submit` and `wait` (or `run`).
/// Reusable: `begin` resets it. Keeps what it records alive until the work is done.
public final class CommandSequence: @unchecked Sendable {
    private let context: VulkanContext
    private let commandPool: VkCommandPool
    private let commandBuffer: VkCommandBuffer
    private let fence: VkFence
    private let queryPool: VkQueryPool?
    private let maxTimestamps: Int
    private var descriptorPools: [VkDescriptorPool] = []
    private var currentPool = 0
    private var retained: [AnyObject] = []
    private var labels: [String] = []
    private var recording = false
    /// Dispatches recorded since `begin` (tests: how many a launcher split a layer into).
    public private(set) var dispatchCount = 0
    private var pending = false

    /// Descriptor sets per pool; more pools are made as needed.
    private static let setsPerPool: UInt32 = 128

    public init(context: VulkanContext, maxTimestamps: Int = 256) throws {
        self.context = context
        self.maxTimestamps = maxTimestamps
        let device = context.handle
        var poolInfo = VkCommandPoolCreateInfo()
        poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
        poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT.rawValue
        poolInfo.queueFamilyIndex = context.queueFamily
        var pool: VkCommandPool?
        try check(vkCreateCommandPool(device, &poolInfo, nil, &pool), "vkCreateCommandPool")
        guard let pool else { throw VulkanError(call: "vkCreateCommandPool", message: "returned no pool") }
        commandPool = pool
        var allocate = VkCommandBufferAllocateInfo()
        allocate.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
        allocate.commandPool = pool
        allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
        allocate.commandBufferCount = 1
        var buffer: VkCommandBuffer?
        let allocateResult = vkAllocateCommandBuffers(device, &allocate, &buffer)
        guard allocateResult == VK_SUCCESS, let buffer else {
            vkDestroyCommandPool(device, pool, nil)
            try check(allocateResult, "vkAllocateCommandBuffers")
            throw VulkanError(call: "vkAllocateCommandBuffers", message: "returned no command buffer")
        }
        commandBuffer = buffer
        var fenceInfo = VkFenceCreateInfo()
        fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
        var fence: VkFence?
        let fenceResult = vkCreateFence(device, &fenceInfo, nil, &fence)
        guard fenceResult == VK_SUCCESS, let fence else {
            vkDestroyCommandPool(device, pool, nil)
            try check(fenceResult, "vkCreateFence")
            throw VulkanError(call: "vkCreateFence", message: "returned no fence")
        }
        self.fence = fence
        context.creationCounts.update { $0.commandSequences += 1 }
        if context.info.supportsTimestamps && maxTimestamps > 0 {
            var queryInfo = VkQueryPoolCreateInfo()
            queryInfo.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO
            queryInfo.queryType = VK_QUERY_TYPE_TIMESTAMP
            queryInfo.queryCount = UInt32(maxTimestamps)
            var query: VkQueryPool?
            try check(vkCreateQueryPool(device, &queryInfo, nil, &query), "vkCreateQueryPool")
            queryPool = query
        } else {
            queryPool = nil
        }
    }

    /// Starts recording; waits for and forgets any previous submission.
    public func begin() throws {
        if pending { try wait() }
        retained.removeAll()
        labels.removeAll()
        dispatchCount = 0
        for pool in descriptorPools {
            try check(vkResetDescriptorPool(context.handle, pool, 0), "vkResetDescriptorPool")
        }
        currentPool = 0
        try check(vkResetCommandBuffer(commandBuffer, 0), "vkResetCommandBuffer")
        var info = VkCommandBufferBeginInfo()
        info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT.rawValue
        try check(vkBeginCommandBuffer(commandBuffer, &info), "vkBeginCommandBuffer")
        if let queryPool { vkCmdResetQueryPool(commandBuffer, queryPool, 0, UInt32(maxTimestamps)) }
        recording = true
    }

    /// Records one dispatch of `groups` workgroups with `bindings` at 0..<n and `push` as push constants.
    public func dispatch(_ pipeline: ComputePipeline, _ bindings: [BufferBinding], push: [UInt32] = [],
                         groups: (Int, Int, Int)) throws {
        guard recording else { throw VulkanError(call: "CommandSequence.dispatch", message: "\(pipeline.name): begin() not called") }
        guard bindings.count == pipeline.bindingCount else {
            throw VulkanError(call: "CommandSequence.dispatch", message: "\(pipeline.name): \(bindings.count) bindings given, \(pipeline.bindingCount) expected")
        }
        guard push.count * 4 == pipeline.pushConstantBytes else {
            throw VulkanError(call: "CommandSequence.dispatch", message: "\(pipeline.name): \(push.count * 4) push-constant bytes given, \(pipeline.pushConstantBytes) expected")
        }
        let limit = context.info.maxWorkgroupCount
        guard groups.0 >= 1, groups.1 >= 1, groups.2 >= 1,
              groups.0 <= limit[0], groups.1 <= limit[1], groups.2 <= limit[2] else {
            throw VulkanError(call: "CommandSequence.dispatch", message: "\(pipeline.name): grid \(groups) outside 1...\(limit)")
        }
        for binding in bindings where binding.range > Int(context.info.maxStorageBufferRange) {
            throw VulkanError(call: "CommandSequence.dispatch", message: "\(pipeline.name): binding of \(binding.range) bytes exceeds maxStorageBufferRange \(context.info.maxStorageBufferRange)")
        }
        let set = try allocateSet(pipeline.setLayout)
        var infos = bindings.map { VkDescriptorBufferInfo(buffer: $0.buffer.handle, offset: UInt64($0.offset), range: UInt64($0.range)) }
        infos.withUnsafeMutableBufferPointer { infoPointer in
            var writes = (0..<bindings.count).map { index -> VkWriteDescriptorSet in
                var write = VkWriteDescriptorSet()
                write.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET
                write.dstSet = set
                write.dstBinding = UInt32(index)
                write.descriptorCount = 1
                write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                write.pBufferInfo = UnsafePointer(infoPointer.baseAddress! + index)
                return write
            }
            vkUpdateDescriptorSets(context.handle, UInt32(writes.count), &writes, 0, nil)
        }
        vkCmdBindPipeline(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle)
        var sets: [VkDescriptorSet?] = [set]
        vkCmdBindDescriptorSets(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout, 0, 1, &sets, 0, nil)
        if !push.isEmpty {
            push.withUnsafeBytes { bytes in
                vkCmdPushConstants(commandBuffer, pipeline.layout, VK_SHADER_STAGE_COMPUTE_BIT.rawValue, 0,
                                   UInt32(bytes.count), bytes.baseAddress)
            }
        }
        vkCmdDispatch(commandBuffer, UInt32(groups.0), UInt32(groups.1), UInt32(groups.2))
        dispatchCount += 1
        retained.append(pipeline)
        retained.append(contentsOf: bindings.map { $0.buffer as AnyObject })
    }

    /// Makes every earlier shader or transfer write visible to every later shader or transfer access.
    public func barrier() {
        var barrier = VkMemoryBarrier()
        barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
        barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue
        barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue
            | VK_ACCESS_TRANSFER_READ_BIT.rawValue | VK_ACCESS_TRANSFER_WRITE_BIT.rawValue
            | VK_ACCESS_HOST_READ_BIT.rawValue
        let stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue | VK_PIPELINE_STAGE_TRANSFER_BIT.rawValue
        vkCmdPipelineBarrier(commandBuffer, stages, stages | VK_PIPELINE_STAGE_HOST_BIT.rawValue, 0,
                             1, &barrier, 0, nil, 0, nil)
    }

    /// Records a copy of `size` bytes between buffers.
    public func copy(from source: Buffer, offset sourceOffset: Int = 0, to destination: Buffer,
                     offset destinationOffset: Int = 0, size: Int) throws {
        guard sourceOffset + size <= source.size, destinationOffset + size <= destination.size else {
            throw VulkanError(call: "CommandSequence.copy", message: "\(size) bytes overflow a buffer (source \(source.size), destination \(destination.size))")
        }
        guard size > 0 else { return }
        var region = VkBufferCopy(srcOffset: UInt64(sourceOffset), dstOffset: UInt64(destinationOffset), size: UInt64(size))
        vkCmdCopyBuffer(commandBuffer, source.handle, destination.handle, 1, &region)
        retained.append(source)
        retained.append(destination)
    }

    /// Records filling a buffer with a 32-bit pattern (e.g. NaN to poison outputs in tests).
    public func fill(_ buffer: Buffer, with pattern: UInt32) {
        vkCmdFillBuffer(commandBuffer, buffer.handle, 0, UInt64(buffer.size) & ~3, pattern)
        retained.append(buffer)
    }

    /// Records a timestamp once all earlier commands finish; no-op without timestamp support.
    public func timestamp(_ label: String) {
        guard let queryPool, labels.count < maxTimestamps else { return }
        vkCmdWriteTimestamp(commandBuffer, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queryPool, UInt32(labels.count))
        labels.append(label)
    }

    /// Ends recording and submits; returns at once.
    public func submit() throws {
        guard recording else { throw VulkanError(call: "CommandSequence.submit", message: "begin() not called") }
        recording = false
        try check(vkEndCommandBuffer(commandBuffer), "vkEndCommandBuffer")
        var fences: [VkFence?] = [fence]
        try check(vkResetFences(context.handle, 1, &fences), "vkResetFences")
        try context.submit(commandBuffer, fence: fence)
        pending = true
    }

    /// Blocks until the submitted work finishes.
    public func wait() throws {
        guard pending else { return }
        var fences: [VkFence?] = [fence]
        try check(vkWaitForFences(context.handle, 1, &fences, VkBool32(VK_TRUE), UInt64.max), "vkWaitForFences")
        pending = false
    }

    /// `submit()` then `wait()`.
    public func run() throws {
        try submit()
        try wait()
    }

    /// The labelled timestamps of the last finished submission, in nanoseconds from the first.
    public func timestamps() throws -> [(label: String, nanoseconds: Double)] {
        guard let queryPool, !labels.isEmpty else { return [] }
        var values = [UInt64](repeating: 0, count: labels.count)
        let flags = VK_QUERY_RESULT_64_BIT.rawValue | VK_QUERY_RESULT_WAIT_BIT.rawValue
        try values.withUnsafeMutableBytes { bytes in
            try check(vkGetQueryPoolResults(context.handle, queryPool, 0, UInt32(labels.count), bytes.count,
                                            bytes.baseAddress, 8, flags), "vkGetQueryPoolResults")
        }
        let period = Double(context.info.timestampPeriod)
        return zip(labels, values).map { ($0, Double($1 &- values[0]) * period) }
    }

    private func allocateSet(_ layout: VkDescriptorSetLayout) throws -> VkDescriptorSet {
        while true {
            if currentPool == descriptorPools.count { descriptorPools.append(try makeDescriptorPool()) }
            var layouts: [VkDescriptorSetLayout?] = [layout]
            var set: VkDescriptorSet?
            let result = layouts.withUnsafeMutableBufferPointer { layoutPointer in
                var info = VkDescriptorSetAllocateInfo()
                info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
                info.descriptorPool = descriptorPools[currentPool]
                info.descriptorSetCount = 1
                info.pSetLayouts = UnsafePointer(layoutPointer.baseAddress)
                return vkAllocateDescriptorSets(context.handle, &info, &set)
            }
            if result == VK_ERROR_OUT_OF_POOL_MEMORY || result == VK_ERROR_FRAGMENTED_POOL {
                currentPool += 1
                continue
            }
            try check(result, "vkAllocateDescriptorSets")
            guard let set else { throw VulkanError(call: "vkAllocateDescriptorSets", message: "returned no set") }
            return set
        }
    }

    private func makeDescriptorPool() throws -> VkDescriptorPool {
        var size = VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptorCount: Self.setsPerPool * 8)
        var info = VkDescriptorPoolCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO
        info.maxSets = Self.setsPerPool
        info.poolSizeCount = 1
        var pool: VkDescriptorPool?
        try withUnsafePointer(to: &size) { sizePointer in
            info.pPoolSizes = sizePointer
            try check(vkCreateDescriptorPool(context.handle, &info, nil, &pool), "vkCreateDescriptorPool")
        }
        guard let pool else { throw VulkanError(call: "vkCreateDescriptorPool", message: "returned no pool") }
        context.creationCounts.update { $0.descriptorPools += 1 }
        return pool
    }

    deinit {
        if pending {
            var fences: [VkFence?] = [fence]
            vkWaitForFences(context.handle, 1, &fences, VkBool32(VK_TRUE), UInt64.max)
        }
        descriptorPools.forEach { vkDestroyDescriptorPool(context.handle, $0, nil) }
        if let queryPool { vkDestroyQueryPool(context.handle, queryPool, nil) }
        vkDestroyFence(context.handle, fence, nil)
        vkDestroyCommandPool(context.handle, commandPool, nil)
    }
}
