// Vulkan for imgfeat without linking libvulkan: the loader is opened with dlopen at run time, so the
// binary starts (and `--device auto` falls back to the CPU) on a machine without libvulkan.so.1.
// The headers give only types (VK_NO_PROTOTYPES); vulkan_functions.h (generated) gives static inline
// wrappers with the Vulkan names that call through a table of pointers filled by loader.c. They are
// static inline, never exported symbols, so they cannot interpose on the loader's or a layer's own
// vk* symbols.
#pragma once

#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <stddef.h>
#include <vulkan/vulkan.h>

#include "vulkan_functions.h"

// VK_KHR_cooperative_matrix (Vulkan-Headers 1.3.255) is newer than Debian 12's headers (1.3.239), which
// define only VK_NV_cooperative_matrix. Its query structs under imgfeat's own names, laid out as the
// registry defines them (component types and scopes are the NV enums' values), so the runtime can list
// a device's KHR shapes whichever headers it was built with.
#define IMGFEAT_VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME "VK_KHR_cooperative_matrix"
#define IMGFEAT_VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR 1000506000
#define IMGFEAT_VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR 1000506001
#define IMGFEAT_VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_KHR 1000506002

typedef struct imgfeat_VkCooperativeMatrixPropertiesKHR {
    VkStructureType sType;
    void *pNext;
    uint32_t MSize;
    uint32_t NSize;
    uint32_t KSize;
    uint32_t AType;
    uint32_t BType;
    uint32_t CType;
    uint32_t ResultType;
    VkBool32 saturatingAccumulation;
    uint32_t scope;
} imgfeat_VkCooperativeMatrixPropertiesKHR;

typedef struct imgfeat_VkPhysicalDeviceCooperativeMatrixFeaturesKHR {
    VkStructureType sType;
    void *pNext;
    VkBool32 cooperativeMatrix;
    VkBool32 cooperativeMatrixRobustBufferAccess;
} imgfeat_VkPhysicalDeviceCooperativeMatrixFeaturesKHR;

typedef struct imgfeat_VkPhysicalDeviceCooperativeMatrixPropertiesKHR {
    VkStructureType sType;
    void *pNext;
    VkShaderStageFlags cooperativeMatrixSupportedStages;
} imgfeat_VkPhysicalDeviceCooperativeMatrixPropertiesKHR;

typedef VkResult (VKAPI_PTR *imgfeat_PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)(
    VkPhysicalDevice physicalDevice, uint32_t *pPropertyCount, imgfeat_VkCooperativeMatrixPropertiesKHR *pProperties);

typedef enum {
    IMGFEAT_VK_LOADED = 0,
    /// dlopen failed; the detail is dlerror()'s text.
    IMGFEAT_VK_NO_LIBRARY = 1,
    /// The library or vkGetInstanceProcAddr did not give a function; the detail is its name.
    IMGFEAT_VK_MISSING_FUNCTION = 2,
} imgfeat_vk_status;

/// Opens `library` (never closed) and takes vkGetInstanceProcAddr and the global-level functions.
/// Not thread-safe: VulkanRuntime calls it once, under a lock. On failure, writes the cause to
/// `detail` (NUL-terminated, truncated to `detail_size`) and leaves the table's pointers NULL.
imgfeat_vk_status imgfeat_vk_load_global(const char *library, char *detail, size_t detail_size);

/// Takes the instance- and device-level functions through vkGetInstanceProcAddr(instance, ...).
/// Needs imgfeat_vk_load_global first. Not thread-safe: called once per process, under a lock.
/// On failure, destroys `instance` (the caller cannot: it has no usable table) where the loader gave
/// vkDestroyInstance, and writes the missing function's name to `detail`.
imgfeat_vk_status imgfeat_vk_load_instance(VkInstance instance, char *detail, size_t detail_size);
