import CVulkan
import Foundation

/// The Vulkan loader, opened at run time instead of linked, so that imgfeat starts on a machine
/// without libvulkan and `--device auto` can fall back to the CPU there. The vk* functions the
/// runtime calls are CVulkan's wrappers over a pointer table that this fills.
enum VulkanLoader {
    #if os(macOS)
    static let defaultLibrary = "libvulkan.1.dylib"
    #else
    static let defaultLibrary = "libvulkan.so.1"
    #endif
    private static let state = LoaderState()

    /// Opens the loader (`library`, else the default) and takes the global-level functions; needed
    /// before any other vk* call. Done once per process: later calls give the first outcome (the
    /// library cannot be unloaded once loaded, and a missing one stays missing for this process).
    static func loadGlobalFunctions(library: String?) throws {
        try state.lock.withLock {
            if state.global == nil { state.global = openLibrary(library.flatMap { $0.isEmpty ? nil : $0 }) }
            try state.global!.get()
        }
    }

    /// Takes the instance- and device-level functions through `instance`, the first time an instance
    /// exists. The loader's pointers serve every instance (see loader.c), so later instances reuse them.
    static func loadInstanceFunctions(from instance: VkInstance) throws {
        try state.lock.withLock {
            if state.instanceFunctionsLoaded { return }
            var detail = [CChar](repeating: 0, count: 256)
            let status = imgfeat_vk_load_instance(instance, &detail, detail.count)
            guard status == IMGFEAT_VK_LOADED else {
                throw missingFunction(text(detail))
            }
            state.instanceFunctionsLoaded = true
        }
    }

    private static func openLibrary(_ override: String?) -> Result<Void, VulkanError> {
        let library = override ?? defaultLibrary
        let named = library
        var detail = [CChar](repeating: 0, count: 1024)
        switch imgfeat_vk_load_global(library, &detail, detail.count) {
        case IMGFEAT_VK_LOADED:
            return .success(())
        case IMGFEAT_VK_NO_LIBRARY:
            return .failure(VulkanError(call: "Vulkan loader", message:
                "\(named) not found (install libvulkan1 and a driver, e.g. mesa-vulkan-drivers): \(text(detail))"))
        default:
            let function = text(detail)
            if function == "vkGetInstanceProcAddr" {
                return .failure(VulkanError(call: "Vulkan loader", message:
                    "\(named) has no vkGetInstanceProcAddr: not a Vulkan loader (install libvulkan1)"))
            }
            return .failure(missingFunction(function))
        }
    }

    /// The NUL-terminated text the C loader wrote into `buffer`.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func missingFunction(_ name: String) -> VulkanError {
        VulkanError(call: "vkGetInstanceProcAddr",
                    message: "the Vulkan loader gives no \(name) (a Vulkan 1.1 or newer loader is needed)")
    }
}

private final class LoaderState: @unchecked Sendable {
    let lock = NSLock()
    // Guarded by `lock`.
    var global: Result<Void, VulkanError>?
    var instanceFunctionsLoaded = false
}
