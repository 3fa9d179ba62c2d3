// The vector layer every SIMD kernel set is written against: one vector type `vf` of VW floats and
// a handful of operations, defined here once per instruction set. A kernel set's file defines
// exactly one of CK_SIMD_AVX2, CK_SIMD_AVX512 or CK_SIMD_NEON, includes this, then the kernel
// templates (pointwise_simd.h, depthwise_row_simd.h), then simd_end.h. So the logic an AVX2 machine
// tests is the logic an AVX-512 or Arm machine runs; only the width and the tile shape differ.
//
// Partial vectors (v_loadn / v_storen: the first n lanes, 0 < n < VW) cover the last columns and
// channels, so no kernel needs a scalar tail.
#include "kernel_set.h"

#if defined(__clang__)
#define CK_UNROLL _Pragma("clang loop unroll(full)")
#else
#define CK_UNROLL _Pragma("GCC unroll 32")
#endif
#define CK_INLINE static inline __attribute__((always_inline))

#if defined(CK_SIMD_AVX2) || defined(CK_SIMD_AVX512)
#include <immintrin.h>
#endif
#if defined(CK_SIMD_NEON)
#include <arm_neon.h>
#endif

// Everything from here to simd_end.h is compiled for the set's instructions, whatever the baseline.
#if defined(CK_SIMD_AVX2)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#elif defined(CK_SIMD_AVX512)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif
#endif

#if defined(CK_SIMD_AVX2)
#define CK_FN(name) name##_avx2
typedef __m256 vf;
enum { VW = 8 };
// Pointwise tile: TILE_MR rows × TILE_PANELS panels of 16 columns (6×16: 12 accumulators of 16 registers).
#define TILE_MR 6
#define TILE_PANELS 1
CK_INLINE vf v_load(const float *p) { return _mm256_loadu_ps(p); }
CK_INLINE void v_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
CK_INLINE vf v_set1(float x) { return _mm256_set1_ps(x); }
CK_INLINE vf v_bcast(const float *p) { return _mm256_broadcast_ss(p); }
CK_INLINE vf v_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
CK_INLINE vf v_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
CK_INLINE vf v_add(vf a, vf b) { return _mm256_add_ps(a, b); }
CK_INLINE vf v_relu6(vf v) { return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6.0f)); }
CK_INLINE __m256i lane_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
CK_INLINE vf v_loadn(const float *p, int n) { return _mm256_maskload_ps(p, lane_mask(n)); }
CK_INLINE void v_storen(float *p, vf v, int n) { _mm256_maskstore_ps(p, lane_mask(n), v); }

#elif defined(CK_SIMD_AVX512)
#define CK_FN(name) name##_avx512
typedef __m512 vf;
enum { VW = 16 };
// 12×32: 24 accumulators of 32 registers, two 16-column panels read side by side, and the broadcast
// folded into the FMA's memory operand.
#define TILE_MR 12
#define TILE_PANELS 2
CK_INLINE vf v_load(const float *p) { return _mm512_loadu_ps(p); }
CK_INLINE void v_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
CK_INLINE vf v_set1(float x) { return _mm512_set1_ps(x); }
CK_INLINE vf v_bcast(const float *p) { return _mm512_set1_ps(*p); }
CK_INLINE vf v_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
CK_INLINE vf v_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
CK_INLINE vf v_add(vf a, vf b) { return _mm512_add_ps(a, b); }
CK_INLINE vf v_relu6(vf v) { return _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(6.0f)); }
CK_INLINE __mmask16 lane_mask(int n) { return (__mmask16)((1u << n) - 1u); }
CK_INLINE vf v_loadn(const float *p, int n) { return _mm512_maskz_loadu_ps(lane_mask(n), p); }
CK_INLINE void v_storen(float *p, vf v, int n) { _mm512_mask_storeu_ps(p, lane_mask(n), v); }

#elif defined(CK_SIMD_NEON)
#define CK_FN(name) name##_neon
typedef float32x4_t vf;
enum { VW = 4 };
// 6×16: 24 accumulators of 32 registers, 4 for the panel row, the rest for broadcasts.
#define TILE_MR 6
#define TILE_PANELS 1
CK_INLINE vf v_load(const float *p) { return vld1q_f32(p); }
CK_INLINE void v_store(float *p, vf v) { vst1q_f32(p, v); }
CK_INLINE vf v_set1(float x) { return vdupq_n_f32(x); }
CK_INLINE vf v_bcast(const float *p) { return vld1q_dup_f32(p); }
CK_INLINE vf v_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
CK_INLINE vf v_mul(vf a, vf b) { return vmulq_f32(a, b); }
CK_INLINE vf v_add(vf a, vf b) { return vaddq_f32(a, b); }
CK_INLINE vf v_relu6(vf v) { return vminq_f32(vmaxq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(6.0f)); }
// No masked loads on NEON: go through a zeroed stack vector (edges only).
CK_INLINE vf v_loadn(const float *p, int n) {
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < n; i++) t[i] = p[i];
    return vld1q_f32(t);
}
CK_INLINE void v_storen(float *p, vf v, int n) {
    float t[4];
    vst1q_f32(t, v);
    for (int i = 0; i < n; i++) p[i] = t[i];
}
#else
#error "define CK_SIMD_AVX2, CK_SIMD_AVX512 or CK_SIMD_NEON before including simd.h"
#endif

CK_INLINE vf v_zero(void) { return v_set1(0.0f); }
// The first n lanes (n ≥ VW: a whole vector); n is a constant where the caller knows it, so the
// test folds away.
CK_INLINE vf v_load_upto(const float *p, int n) { return n >= VW ? v_load(p) : v_loadn(p, n); }
CK_INLINE void v_store_upto(float *p, vf v, int n) {
    if (n >= VW) v_store(p, v); else v_storen(p, v, n);
}
