// Depthwise convolution on NHWC data: each output pixel is a short sum over its k×k window, done
// for 8 channels at once; the window is clipped to the image instead of reading padding. The row
// kernel takes one pointer per window row, so the fused block can feed it rows from a ring buffer.
#include "ckernels.h"
#include "dispatch.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static inline float relu6f(float v) { return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); }

// One output pixel, channels [c0, C), scalar; rows[ky] NULL where the window leaves the image.
static inline void pixel_scalar(const float *const *rows, int C, int ksize, int ix0, int kx0, int kx1,
                                const float *w, const float *bias, int relu6, float *o, int c0) {
    for (int c = c0; c < C; c++) {
        float acc = 0.0f;
        for (int ky = 0; ky < ksize; ky++) {
            if (!rows[ky]) continue;
            for (int kx = kx0; kx < kx1; kx++)
                acc += rows[ky][(ptrdiff_t)(ix0 + kx) * C + c] * w[(ky * ksize + kx) * C + c];
        }
        float v = acc + bias[c];
        o[c] = relu6 ? relu6f(v) : v;
    }
}

static void row_scalar(const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                       const float *w, const float *bias, int relu6, float *out, int OW) {
    for (int ox = 0; ox < OW; ox++) {
        int ix0 = ox * stride - pad_left;
        int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < ksize ? W - ix0 : ksize;
        pixel_scalar(rows, C, ksize, ix0, kx0, kx1, w, bias, relu6, out + (size_t)ox * C, 0);
    }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static void row_avx2(const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                     const float *w, const float *bias, int relu6, float *out, int OW) {
    __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);
    int cv = C & ~7;
    int full_rows = ksize == 3 && rows[0] && rows[1] && rows[2];
    for (int ox = 0; ox < OW; ox++) {
        int ix0 = ox * stride - pad_left;
        int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < ksize ? W - ix0 : ksize;
        float *o = out + (size_t)ox * C;
        if (full_rows && kx0 == 0 && kx1 == 3) {
            // Interior 3×3: fully unrolled window, two accumulators to halve the dependency chain.
            const float *p0 = rows[0] + (ptrdiff_t)ix0 * C, *p1 = rows[1] + (ptrdiff_t)ix0 * C,
                        *p2 = rows[2] + (ptrdiff_t)ix0 * C;
            for (int c = 0; c < cv; c += 8) {
                __m256 a = _mm256_mul_ps(_mm256_loadu_ps(p0 + c), _mm256_loadu_ps(w + c));
                __m256 b = _mm256_mul_ps(_mm256_loadu_ps(p0 + C + c), _mm256_loadu_ps(w + C + c));
                a = _mm256_fmadd_ps(_mm256_loadu_ps(p0 + 2 * C + c), _mm256_loadu_ps(w + 2 * C + c), a);
                b = _mm256_fmadd_ps(_mm256_loadu_ps(p1 + c), _mm256_loadu_ps(w + 3 * C + c), b);
                a = _mm256_fmadd_ps(_mm256_loadu_ps(p1 + C + c), _mm256_loadu_ps(w + 4 * C + c), a);
                b = _mm256_fmadd_ps(_mm256_loadu_ps(p1 + 2 * C + c), _mm256_loadu_ps(w + 5 * C + c), b);
                a = _mm256_fmadd_ps(_mm256_loadu_ps(p2 + c), _mm256_loadu_ps(w + 6 * C + c), a);
                b = _mm256_fmadd_ps(_mm256_loadu_ps(p2 + C + c), _mm256_loadu_ps(w + 7 * C + c), b);
                a = _mm256_fmadd_ps(_mm256_loadu_ps(p2 + 2 * C + c), _mm256_loadu_ps(w + 8 * C + c), a);
                __m256 v = _mm256_add_ps(_mm256_add_ps(a, b), _mm256_loadu_ps(bias + c));
                if (relu6) v = _mm256_min_ps(_mm256_max_ps(v, zero), six);
                _mm256_storeu_ps(o + c, v);
            }
        } else {
            for (int c = 0; c < cv; c += 8) {
                __m256 a = zero;
                for (int ky = 0; ky < ksize; ky++) {
                    if (!rows[ky]) continue;
                    for (int kx = kx0; kx < kx1; kx++)
                        a = _mm256_fmadd_ps(_mm256_loadu_ps(rows[ky] + (ptrdiff_t)(ix0 + kx) * C + c),
                                            _mm256_loadu_ps(w + (ky * ksize + kx) * C + c), a);
                }
                __m256 v = _mm256_add_ps(a, _mm256_loadu_ps(bias + c));
                if (relu6) v = _mm256_min_ps(_mm256_max_ps(v, zero), six);
                _mm256_storeu_ps(o + c, v);
            }
        }
        if (cv < C) pixel_scalar(rows, C, ksize, ix0, kx0, kx1, w, bias, relu6, o, cv);
    }
}
#endif

void ck_depthwise_row(const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                      const float *w, const float *bias, int relu6, float *out, int OW) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_use_avx2()) {
        row_avx2(rows, W, C, ksize, stride, pad_left, w, bias, relu6, out, OW);
        return;
    }
#endif
    row_scalar(rows, W, C, ksize, stride, pad_left, w, bias, relu6, out, OW);
}

void ck_depthwise(const float *in, int H, int W, int C, int ksize, int stride, int pad_top, int pad_left,
                  const float *w, const float *bias, int relu6, float *out, int OH, int OW,
                  int oy0, int oy1) {
    if (oy1 > OH) oy1 = OH;
    const float *rows[CK_MAX_KERNEL];
    if (ksize > CK_MAX_KERNEL) return;
    for (int oy = oy0; oy < oy1; oy++) {
        int iy0 = oy * stride - pad_top;
        for (int ky = 0; ky < ksize; ky++) {
            int iy = iy0 + ky;
            rows[ky] = iy >= 0 && iy < H ? in + (size_t)iy * W * C : 0;
        }
        ck_depthwise_row(rows, W, C, ksize, stride, pad_left, w, bias, relu6,
                         out + (size_t)oy * OW * C, OW);
    }
}
