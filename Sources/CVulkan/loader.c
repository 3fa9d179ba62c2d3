#include "CVulkan.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

struct imgfeat_vk_table imgfeat_vk;

static void write_detail(char *detail, size_t detail_size, const char *text) {
    if (detail && detail_size > 0) snprintf(detail, detail_size, "%s", text ? text : "unknown error");
}

imgfeat_vk_status imgfeat_vk_load_global(const char *library, char *detail, size_t detail_size) {
    // RTLD_LOCAL: the loader's symbols stay out of the global namespace, where they could meet
    // another copy of Vulkan some other library brought in.
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        write_detail(detail, detail_size, dlerror());
        return IMGFEAT_VK_NO_LIBRARY;
    }
    PFN_vkGetInstanceProcAddr get = (PFN_vkGetInstanceProcAddr)dlsym(handle, "vkGetInstanceProcAddr");
    if (!get) {
        write_detail(detail, detail_size, "vkGetInstanceProcAddr");
        dlclose(handle);
        return IMGFEAT_VK_MISSING_FUNCTION;
    }
    struct imgfeat_vk_table table;
    memset(&table, 0, sizeof table);
    table.vkGetInstanceProcAddr = get;
#define IMGFEAT_VK_LOAD_GLOBAL(name)                                      \
    table.name = (PFN_##name)get(VK_NULL_HANDLE, #name);                  \
    if (!table.name) {                                                    \
        write_detail(detail, detail_size, #name);                         \
        dlclose(handle);                                                  \
        return IMGFEAT_VK_MISSING_FUNCTION;                               \
    }
    IMGFEAT_VK_GLOBAL_FUNCTIONS(IMGFEAT_VK_LOAD_GLOBAL)
#undef IMGFEAT_VK_LOAD_GLOBAL
    // Published only when complete; the library stays open for the life of the process, since the
    // pointers (and any instance made through them) point into it.
    imgfeat_vk = table;
    return IMGFEAT_VK_LOADED;
}

imgfeat_vk_status imgfeat_vk_load_instance(VkInstance instance, char *detail, size_t detail_size) {
    PFN_vkGetInstanceProcAddr get = imgfeat_vk.vkGetInstanceProcAddr;
    if (!get) {
        write_detail(detail, detail_size, "vkGetInstanceProcAddr");
        return IMGFEAT_VK_MISSING_FUNCTION;
    }
    // First, so that the instance can be destroyed when a later function is missing.
    imgfeat_vk.vkDestroyInstance = (PFN_vkDestroyInstance)get(instance, "vkDestroyInstance");
    // The loader answers vkGetInstanceProcAddr(instance, core function) with its exported trampoline,
    // which dispatches through the dispatchable handle's own table (layers included); the same
    // pointer serves every instance and device in the process, as when libvulkan was linked. So the
    // table is filled once per process from the first instance, not kept per instance or device
    // (vkGetDeviceProcAddr would skip the trampoline, but needs a table per VkDevice).
#define IMGFEAT_VK_LOAD_INSTANCE(name)                                    \
    imgfeat_vk.name = (PFN_##name)get(instance, #name);                   \
    if (!imgfeat_vk.name) {                                               \
        write_detail(detail, detail_size, #name);                         \
        if (imgfeat_vk.vkDestroyInstance)                                 \
            imgfeat_vk.vkDestroyInstance(instance, NULL);                 \
        return IMGFEAT_VK_MISSING_FUNCTION;                               \
    }
    IMGFEAT_VK_INSTANCE_FUNCTIONS(IMGFEAT_VK_LOAD_INSTANCE)
#undef IMGFEAT_VK_LOAD_INSTANCE
    return IMGFEAT_VK_LOADED;
}
