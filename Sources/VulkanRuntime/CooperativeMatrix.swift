import CVulkan

/// Element type of a cooperative matrix (VkComponentTypeNV / VkComponentTypeKHR share the values).
public enum CooperativeMatrixComponent: Sendable, Hashable, CustomStringConvertible {
    case float16, float32, float64, sint8, sint16, sint32, sint64, uint8, uint16, uint32, uint64
    case other(UInt32)

    init(_ raw: UInt32) {
        let known: [CooperativeMatrixComponent] = [.float16, .float32, .float64, .sint8, .sint16, .sint32, .sint64,
                                                   .uint8, .uint16, .uint32, .uint64]
        self = raw < UInt32(known.count) ? known[Int(raw)] : .other(raw)
    }

    public var description: String {
        switch self {
        case .float16: return "f16"
        case .float32: return "f32"
        case .float64: return "f64"
        case .sint8: return "s8"
        case .sint16: return "s16"
        case .sint32: return "s32"
        case .sint64: return "s64"
        case .uint8: return "u8"
        case .uint16: return "u16"
        case .uint32: return "u32"
        case .uint64: return "u64"
        case .other(let raw): return "type\(raw)"
        }
    }
}

/// One multiply-add shape a device lists: C/Result[M×N] = A[M×K] · B[K×N] + C.
public struct CooperativeMatrixShape: Sendable, Hashable, CustomStringConvertible {
    public let m, n, k: Int
    public let a, b, c, result: CooperativeMatrixComponent
    /// Whether the matrices belong to one subgroup (the only scope the kernels use).
    public let subgroupScope: Bool

    public init(m: Int, n: Int, k: Int, a: CooperativeMatrixComponent, b: CooperativeMatrixComponent,
                c: CooperativeMatrixComponent, result: CooperativeMatrixComponent, subgroupScope: Bool) {
        (self.m, self.n, self.k) = (m, n, k)
        (self.a, self.b, self.c, self.result) = (a, b, c, result)
        self.subgroupScope = subgroupScope
    }

    /// float16 operands accumulated in float32 at subgroup scope: what `coopmat_gemm.comp` multiplies.
    public var isFloat16WithFloat32Accumulation: Bool {
        a == .float16 && b == .float16 && c == .float32 && result == .float32 && subgroupScope
    }

    public var description: String {
        "\(m)x\(n)x\(k) \(a)*\(b)+\(c)->\(result)\(subgroupScope ? "" : " (not subgroup)")"
    }
}

/// What a device offers through one cooperative-matrix extension.
public struct CooperativeMatrixExtension: Sendable {
    /// `VK_NV_cooperative_matrix` or `VK_KHR_cooperative_matrix`.
    public let name: String
    /// The extension's `cooperativeMatrix` feature.
    public let feature: Bool
    /// Whether compute shaders may use it (`cooperativeMatrixSupportedStages`).
    public let compute: Bool
    /// The shapes and types the device lists.
    public let shapes: [CooperativeMatrixShape]
}

/// A device's cooperative-matrix support, queried from both extensions (never assumed).
public struct CooperativeMatrixSupport: Sendable {
    public let nv: CooperativeMatrixExtension?
    public let khr: CooperativeMatrixExtension?

    public static let none = CooperativeMatrixSupport(nv: nil, khr: nil)

    /// Shapes the shipped kernel can use: `VK_NV_cooperative_matrix` (the extension Debian's glslang 12
    /// compiles) with its feature and compute stage, float16 × float16 + float32 at subgroup scope.
    public var kernelShapes: [CooperativeMatrixShape] {
        guard let nv, nv.feature, nv.compute else { return [] }
        return nv.shapes.filter(\.isFloat16WithFloat32Accumulation)
    }

    /// One line for `imgfeat devices`.
    public var summary: String {
        func describe(_ ext: CooperativeMatrixExtension?, _ label: String) -> String {
            guard let ext else { return "\(label) no" }
            let state = !ext.feature ? " (feature off)" : !ext.compute ? " (not in compute)" : ""
            let shapes = ext.shapes.isEmpty ? "no shapes" : ext.shapes.map(\.description).joined(separator: ", ")
            return "\(label)\(state) \(shapes)"
        }
        return "\(describe(nv, "NV")); \(describe(khr, "KHR"))"
    }

    /// Queries both extensions where `extensions` lists them. The property functions are extension
    /// commands, so they come from `vkGetInstanceProcAddr` one by one (nil: the extension is taken as absent).
    static func query(instance: VkInstance, physicalDevice: VkPhysicalDevice, extensions: Set<String>) throws -> CooperativeMatrixSupport {
        var nv: CooperativeMatrixExtension?
        if extensions.contains(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME),
           let address = vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV") {
            let list = unsafeBitCast(address, to: PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV.self)
            var count: UInt32 = 0
            try check(list(physicalDevice, &count, nil), "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV")
            var properties = [VkCooperativeMatrixPropertiesNV](repeating: VkCooperativeMatrixPropertiesNV(), count: Int(count))
            for i in properties.indices { properties[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV }
            try check(list(physicalDevice, &count, &properties), "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV")
            let shapes = properties.prefix(Int(count)).map {
                CooperativeMatrixShape(m: Int($0.MSize), n: Int($0.NSize), k: Int($0.KSize), a: .init($0.AType.rawValue),
                                       b: .init($0.BType.rawValue), c: .init($0.CType.rawValue),
                                       result: .init($0.DType.rawValue), subgroupScope: $0.scope == VK_SCOPE_SUBGROUP_NV)
            }
            var features = VkPhysicalDeviceCooperativeMatrixFeaturesNV()
            features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV
            var stages = VkPhysicalDeviceCooperativeMatrixPropertiesNV()
            stages.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_NV
            chainQuery(physicalDevice, features: &features, properties: &stages)
            nv = CooperativeMatrixExtension(name: VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME, feature: features.cooperativeMatrix != 0,
                                            compute: stages.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT.rawValue != 0,
                                            shapes: shapes)
        }
        var khr: CooperativeMatrixExtension?
        if extensions.contains(IMGFEAT_VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME),
           let address = vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR") {
            let list = unsafeBitCast(address, to: imgfeat_PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR.self)
            var count: UInt32 = 0
            try check(list(physicalDevice, &count, nil), "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR")
            var properties = [imgfeat_VkCooperativeMatrixPropertiesKHR](repeating: .init(), count: Int(count))
            for i in properties.indices {
                properties[i].sType = VkStructureType(rawValue: UInt32(IMGFEAT_VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR))
            }
            try check(list(physicalDevice, &count, &properties), "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR")
            let shapes = properties.prefix(Int(count)).map {
                CooperativeMatrixShape(m: Int($0.MSize), n: Int($0.NSize), k: Int($0.KSize), a: .init($0.AType),
                                       b: .init($0.BType), c: .init($0.CType), result: .init($0.ResultType),
                                       subgroupScope: $0.scope == VK_SCOPE_SUBGROUP_NV.rawValue)
            }
            var features = imgfeat_VkPhysicalDeviceCooperativeMatrixFeaturesKHR()
            features.sType = VkStructureType(rawValue: UInt32(IMGFEAT_VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR))
            var stages = imgfeat_VkPhysicalDeviceCooperativeMatrixPropertiesKHR()
            stages.sType = VkStructureType(rawValue: UInt32(IMGFEAT_VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_KHR))
            chainQuery(physicalDevice, features: &features, properties: &stages)
            khr = CooperativeMatrixExtension(name: IMGFEAT_VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME, feature: features.cooperativeMatrix != 0,
                                             compute: stages.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT.rawValue != 0,
                                             shapes: shapes)
        }
        return CooperativeMatrixSupport(nv: nv, khr: khr)
    }
}

/// Fills one extension's feature and property structs (each the only link of its chain).
private func chainQuery<F, P>(_ physicalDevice: VkPhysicalDevice, features: inout F, properties: inout P) {
    withUnsafeMutablePointer(to: &features) { pointer in
        var features2 = VkPhysicalDeviceFeatures2()
        features2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2
        features2.pNext = UnsafeMutableRawPointer(pointer)
        vkGetPhysicalDeviceFeatures2(physicalDevice, &features2)
    }
    withUnsafeMutablePointer(to: &properties) { pointer in
        var properties2 = VkPhysicalDeviceProperties2()
        properties2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
        properties2.pNext = UnsafeMutableRawPointer(pointer)
        vkGetPhysicalDeviceProperties2(physicalDevice, &properties2)
    }
}

/// The names of the device extensions `physicalDevice` offers.
func deviceExtensions(_ physicalDevice: VkPhysicalDevice) throws -> Set<String> {
    var count: UInt32 = 0
    try check(vkEnumerateDeviceExtensionProperties(physicalDevice, nil, &count, nil), "vkEnumerateDeviceExtensionProperties")
    var properties = [VkExtensionProperties](repeating: VkExtensionProperties(), count: Int(count))
    try check(vkEnumerateDeviceExtensionProperties(physicalDevice, nil, &count, &properties), "vkEnumerateDeviceExtensionProperties")
    return Set(properties.prefix(Int(count)).map { fixedString($0.extensionName) })
}
