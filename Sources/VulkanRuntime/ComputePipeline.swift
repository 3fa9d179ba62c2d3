import CVulkan

/// A compute pipeline: shader module, descriptor-set layout of `bindingCount` storage buffers
/// (bindings 0..<n), a push-constant range, and specialization constants with ids 0..<n.
public final class ComputePipeline: @unchecked Sendable {
    public let name: String
    public let bindingCount: Int
    public let pushConstantBytes: Int
    let handle: VkPipeline
    let layout: VkPipelineLayout
    let setLayout: VkDescriptorSetLayout
    private let context: VulkanContext

    /// Compiles (or loads from the SPIR-V cache) `source` and builds the pipeline.
    /// `specialization[i]` is the 32-bit pattern of `constant_id = i` (use `Float.bitPattern` for floats).
    public init(context: VulkanContext, name: String, source: String, defines: [String: String] = [:],
                bindingCount: Int, pushConstantBytes: Int = 0, specialization: [UInt32] = []) throws {
        let driver = "\(context.info.name)|\(context.info.driverName)|\(context.info.driverInfo)|\(context.info.driverVersion)"
        let words = try ShaderCompiler.spirv(source: source, name: name, defines: defines, cacheKey: driver,
                                             cacheDirectory: context.shaderCache)
        guard pushConstantBytes <= Int(context.info.maxPushConstantsSize) else {
            throw VulkanError(call: "ComputePipeline", message: "\(name): \(pushConstantBytes) push-constant bytes exceed the device's \(context.info.maxPushConstantsSize)")
        }
        self.context = context
        self.name = name
        self.bindingCount = bindingCount
        self.pushConstantBytes = pushConstantBytes
        let device = context.handle

        var bindings = (0..<bindingCount).map { index -> VkDescriptorSetLayoutBinding in
            var binding = VkDescriptorSetLayoutBinding()
            binding.binding = UInt32(index)
            binding.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
            binding.descriptorCount = 1
            binding.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT.rawValue
            return binding
        }
        var setLayout: VkDescriptorSetLayout?
        try bindings.withUnsafeMutableBufferPointer { pointer in
            var info = VkDescriptorSetLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO
            info.bindingCount = UInt32(bindingCount)
            info.pBindings = UnsafePointer(pointer.baseAddress)
            try check(vkCreateDescriptorSetLayout(device, &info, nil, &setLayout), "vkCreateDescriptorSetLayout")
        }
        guard let setLayout else { throw VulkanError(call: "vkCreateDescriptorSetLayout", message: "\(name): no layout") }
        self.setLayout = setLayout

        var range = VkPushConstantRange()
        range.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT.rawValue
        range.size = UInt32(pushConstantBytes)
        var layout: VkPipelineLayout?
        var setLayouts: [VkDescriptorSetLayout?] = [setLayout]
        let layoutResult = withUnsafePointer(to: &range) { rangePointer in
            setLayouts.withUnsafeMutableBufferPointer { layoutsPointer in
                var info = VkPipelineLayoutCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO
                info.setLayoutCount = 1
                info.pSetLayouts = UnsafePointer(layoutsPointer.baseAddress)
                info.pushConstantRangeCount = pushConstantBytes > 0 ? 1 : 0
                info.pPushConstantRanges = pushConstantBytes > 0 ? rangePointer : nil
                return vkCreatePipelineLayout(device, &info, nil, &layout)
            }
        }
        guard layoutResult == VK_SUCCESS, let layout else {
            vkDestroyDescriptorSetLayout(device, setLayout, nil)
            try check(layoutResult, "vkCreatePipelineLayout")
            throw VulkanError(call: "vkCreatePipelineLayout", message: "\(name): no layout")
        }
        self.layout = layout

        var module: VkShaderModule?
        let moduleResult = words.withUnsafeBufferPointer { code in
            var info = VkShaderModuleCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO
            info.codeSize = code.count * 4
            info.pCode = code.baseAddress
            return vkCreateShaderModule(device, &info, nil, &module)
        }
        guard moduleResult == VK_SUCCESS, let module else {
            vkDestroyPipelineLayout(device, layout, nil)
            vkDestroyDescriptorSetLayout(device, setLayout, nil)
            try check(moduleResult, "vkCreateShaderModule")
            throw VulkanError(call: "vkCreateShaderModule", message: "\(name): no module")
        }
        defer { vkDestroyShaderModule(device, module, nil) }

        var entries = specialization.indices.map { index -> VkSpecializationMapEntry in
            VkSpecializationMapEntry(constantID: UInt32(index), offset: UInt32(index * 4), size: 4)
        }
        var pipeline: VkPipeline?
        let pipelineResult = entries.withUnsafeMutableBufferPointer { entriesPointer in
            specialization.withUnsafeBytes { data in
                var specializationInfo = VkSpecializationInfo()
                specializationInfo.mapEntryCount = UInt32(specialization.count)
                specializationInfo.pMapEntries = UnsafePointer(entriesPointer.baseAddress)
                specializationInfo.dataSize = data.count
                specializationInfo.pData = data.baseAddress
                return "main".withCString { entryName in
                    withUnsafePointer(to: &specializationInfo) { specializationPointer in
                        var stage = VkPipelineShaderStageCreateInfo()
                        stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
                        stage.stage = VK_SHADER_STAGE_COMPUTE_BIT
                        stage.module = module
                        stage.pName = entryName
                        stage.pSpecializationInfo = specialization.isEmpty ? nil : specializationPointer
                        var info = VkComputePipelineCreateInfo()
                        info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
                        info.stage = stage
                        info.layout = layout
                        return vkCreateComputePipelines(device, nil, 1, &info, nil, &pipeline)
                    }
                }
            }
        }
        guard pipelineResult == VK_SUCCESS, let pipeline else {
            vkDestroyPipelineLayout(device, layout, nil)
            vkDestroyDescriptorSetLayout(device, setLayout, nil)
            try check(pipelineResult, "vkCreateComputePipelines")
            throw VulkanError(call: "vkCreateComputePipelines", message: "\(name): no pipeline")
        }
        handle = pipeline
        context.creationCounts.update { $0.pipelines += 1 }
    }

    deinit {
        vkDestroyPipeline(context.handle, handle, nil)
        vkDestroyPipelineLayout(context.handle, layout, nil)
        vkDestroyDescriptorSetLayout(context.handle, setLayout, nil)
    }
}
