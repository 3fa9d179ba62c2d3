#ifndef IMGFEAT_CKERNELS_KERNEL_SET_H
#define IMGFEAT_CKERNELS_KERNEL_SET_H
// Internal: the per-set entry points that the public kernels dispatch to. Each SIMD set is compiled
// from the same templates (pointwise_tile.h, depthwise_row.h) over the vector layer in simd.h.
#include "ckernels.h"

#if defined(__x86_64__)
#define CK_HAVE_X86 1
#endif
#if defined(__aarch64__)
#define CK_HAVE_NEON 1
#endif

typedef void (*ck_pointwise_fn)(const float *in, int M, int K, const float *packed, int N, int n0, int n1,
                                const float *bias, const float *residual, int relu6, float *out, float *colsum);
typedef void (*ck_depthwise_row_fn)(const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                                    const float *w, const float *bias, int relu6, float *out, int OW);

void ck_pointwise_scalar(const float *in, int M, int K, const float *packed, int N, int n0, int n1,
                         const float *bias, const float *residual, int relu6, float *out, float *colsum);
void ck_depthwise_row_scalar(const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                             const float *w, const float *bias, int relu6, float *out, int OW);
#if CK_HAVE_X86
void ck_pointwise_avx2(const float *, int, int, const float *, int, int, int, const float *, const float *, int,
                       float *, float *);
void ck_pointwise_avx512(const float *, int, int, const float *, int, int, int, const float *, const float *,
                         int, float *, float *);
void ck_depthwise_row_avx2(const float *const *, int, int, int, int, int, const float *, const float *, int,
                           float *, int);
void ck_depthwise_row_avx512(const float *const *, int, int, int, int, int, const float *, const float *, int,
                             float *, int);
#endif
#if CK_HAVE_NEON
void ck_pointwise_neon(const float *, int, int, const float *, int, int, int, const float *, const float *, int,
                       float *, float *);
void ck_depthwise_row_neon(const float *const *, int, int, int, int, int, const float *, const float *, int,
                           float *, int);
#endif

/// The set's kernels, or the scalar ones for a set this build or CPU lacks (callers check support first;
/// this keeps a bad value from ever reaching an unsupported instruction).
ck_pointwise_fn ck_pointwise_for(ck_kernels ks);
ck_depthwise_row_fn ck_depthwise_row_for(ck_kernels ks);

#endif
