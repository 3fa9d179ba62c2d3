// Closes the target region that simd.h opened.
#if defined(CK_SIMD_AVX2) || defined(CK_SIMD_AVX512)
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
