// Depthwise convolution on NHWC data: each output pixel is a short sum over its k×k window, done
// for 8 channels at once; the window is clipped to the image instead of reading padding.
#include "ckernels.h"
#include "dispatch.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static inline float relu6f(float v) { return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); }

// One output pixel, channels [c0, C), scalar.
static inline void pixel_scalar(const float *in, int W, int C, int ksize, int iy0, int ix0,
                                int ky0, int ky1, int kx0, int kx1, const float *w,
                                const float *bias, int relu6, float *o, int c0) {
    for (int c = c0; c < C; c++) {
        float acc = 0.0f;
        for (int ky = ky0; ky < ky1; ky++)
            for (int kx = kx0; kx < kx1; kx++)
                acc += in[((ptrdiff_t)(iy0 + ky) * W + (ix0 + kx)) * C + c] * w[(ky * ksize + kx) * C + c];
        float v = acc + bias[c];
        o[c] = relu6 ? relu6f(v) : v;
    }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static void row_avx2(const float *in, int H, int W, int C, int ksize, int stride, int pad_top, int pad_left,
                     const float *w, const float *bias, int relu6, float *out, int OW, int oy) {
    int iy0 = oy * stride - pad_top;
    int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = H - iy0 < ksize ? H - iy0 : ksize;
    __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);
    int cv = C & ~7;
    for (int ox = 0; ox < OW; ox++) {
        int ix0 = ox * stride - pad_left;
        int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < ksize ? W - ix0 : ksize;
        float *o = out + ((size_t)oy * OW + ox) * C;
        const float *base = in + ((ptrdiff_t)iy0 * W + ix0) * C;
        if (ksize == 3 && ky0 == 0 && ky1 == 3 && kx0 == 0 && kx1 == 3) {
            // Interior 3×3: fully unrolled window.
            const float *p0 = base, *p1 = base + (size_t)W * C, *p2 = base + (size_t)2 * W * C;
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
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++)
                        a = _mm256_fmadd_ps(_mm256_loadu_ps(base + ((size_t)ky * W + kx) * C + c),
                                            _mm256_loadu_ps(w + (ky * ksize + kx) * C + c), a);
                __m256 v = _mm256_add_ps(a, _mm256_loadu_ps(bias + c));
                if (relu6) v = _mm256_min_ps(_mm256_max_ps(v, zero), six);
                _mm256_storeu_ps(o + c, v);
            }
        }
        if (cv < C) pixel_scalar(in, W, C, ksize, iy0, ix0, ky0, ky1, kx0, kx1, w, bias, relu6, o, cv);
    }
}
#endif

void ck_depthwise(const float *in, int H, int W, int C, int ksize, int stride, int pad_top, int pad_left,
                  const float *w, const float *bias, int relu6, float *out, int OH, int OW,
                  int oy0, int oy1) {
    if (oy1 > OH) oy1 = OH;
    for (int oy = oy0; oy < oy1; oy++) {
#if defined(__x86_64__) || defined(__i386__)
        if (ck_use_avx2()) {
            row_avx2(in, H, W, C, ksize, stride, pad_top, pad_left, w, bias, relu6, out, OW, oy);
            continue;
        }
#endif
        int iy0 = oy * stride - pad_top;
        int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = H - iy0 < ksize ? H - iy0 : ksize;
        for (int ox = 0; ox < OW; ox++) {
            int ix0 = ox * stride - pad_left;
            int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < ksize ? W - ix0 : ksize;
            pixel_scalar(in, W, C, ksize, iy0, ix0, ky0, ky1, kx0, kx1, w, bias, relu6,
                         out + ((size_t)oy * OW + ox) * C, 0);
        }
    }
}
