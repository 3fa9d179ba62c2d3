// Which kernel sets this build has and this CPU runs. The choice itself is the caller's, passed into
// every kernel: nothing here reads the environment or keeps a mode.
#include "kernel_set.h"

// -1 until first asked; the CPU does not change under a running process.
static int supported_cache[CK_KERNELS_COUNT] = {-1, -1, -1, -1};

static int detect(int ks) {
    switch (ks) {
    case CK_KERNELS_SCALAR:
        return 1;
#if CK_HAVE_X86
    // __builtin_cpu_supports also checks that the OS saves the wider registers (XGETBV).
    case CK_KERNELS_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CK_KERNELS_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f");
#endif
#if CK_HAVE_NEON
    case CK_KERNELS_NEON:
        return 1;  // Advanced SIMD is part of the aarch64 base architecture
#endif
    default:
        return 0;
    }
}

int ck_kernels_supported(int ks) {
    if (ks < 0 || ks >= CK_KERNELS_COUNT) return 0;
    if (supported_cache[ks] < 0) supported_cache[ks] = detect(ks);
    return supported_cache[ks];
}

ck_kernels ck_kernels_best(void) {
    if (ck_kernels_supported(CK_KERNELS_AVX512)) return CK_KERNELS_AVX512;
    if (ck_kernels_supported(CK_KERNELS_AVX2)) return CK_KERNELS_AVX2;
    if (ck_kernels_supported(CK_KERNELS_NEON)) return CK_KERNELS_NEON;
    return CK_KERNELS_SCALAR;
}

const char *ck_kernels_name(int ks) {
    static const char *const names[CK_KERNELS_COUNT] = {"scalar", "avx2", "avx512", "neon"};
    return ks >= 0 && ks < CK_KERNELS_COUNT ? names[ks] : 0;
}

ck_pointwise_fn ck_pointwise_for(ck_kernels ks) {
    if (!ck_kernels_supported(ks)) return ck_pointwise_scalar;
    switch (ks) {
#if CK_HAVE_X86
    case CK_KERNELS_AVX2: return ck_pointwise_avx2;
    case CK_KERNELS_AVX512: return ck_pointwise_avx512;
#endif
#if CK_HAVE_NEON
    case CK_KERNELS_NEON: return ck_pointwise_neon;
#endif
    default: return ck_pointwise_scalar;
    }
}

ck_depthwise_row_fn ck_depthwise_row_for(ck_kernels ks) {
    if (!ck_kernels_supported(ks)) return ck_depthwise_row_scalar;
    switch (ks) {
#if CK_HAVE_X86
    case CK_KERNELS_AVX2: return ck_depthwise_row_avx2;
    case CK_KERNELS_AVX512: return ck_depthwise_row_avx512;
#endif
#if CK_HAVE_NEON
    case CK_KERNELS_NEON: return ck_depthwise_row_neon;
#endif
    default: return ck_depthwise_row_scalar;
    }
}
