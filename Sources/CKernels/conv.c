// Full k×k convolution on NHWC data (the stem: few input channels, so each output pixel is a
// small dot product broadcast over 8 output channels at a time).
#include "ckernels.h"
#include "dispatch.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

static inline float relu6f(float v) { return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); }

static void pixel_scalar(const float *base, int W, int Cin, int ksize, int ky0, int ky1, int kx0,
                         int kx1, const float *w, const float *bias, int Cout, int relu6,
                         float *o, int co0) {
    for (int co = co0; co < Cout; co++) {
        float acc = 0.0f;
        for (int ky = ky0; ky < ky1; ky++)
            for (int kx = kx0; kx < kx1; kx++) {
                const float *p = base + ((size_t)ky * W + kx) * Cin;
                const float *wk = w + (size_t)(ky * ksize + kx) * Cin * Cout + co;
                for (int ci = 0; ci < Cin; ci++) acc += p[ci] * wk[(size_t)ci * Cout];
            }
        float v = acc + bias[co];
        o[co] = relu6 ? relu6f(v) : v;
    }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static void pixel_avx2(const float *base, int W, int Cin, int ksize, int ky0, int ky1, int kx0,
                       int kx1, const float *w, const float *bias, int Cout, int relu6, float *o) {
    __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);
    int cv = Cout & ~7;
    for (int co = 0; co < cv; co += 8) {
        __m256 a = zero;
        for (int ky = ky0; ky < ky1; ky++)
            for (int kx = kx0; kx < kx1; kx++) {
                const float *p = base + ((size_t)ky * W + kx) * Cin;
                const float *wk = w + (size_t)(ky * ksize + kx) * Cin * Cout + co;
                for (int ci = 0; ci < Cin; ci++)
                    a = _mm256_fmadd_ps(_mm256_broadcast_ss(p + ci),
                                        _mm256_loadu_ps(wk + (size_t)ci * Cout), a);
            }
        __m256 v = _mm256_add_ps(a, _mm256_loadu_ps(bias + co));
        if (relu6) v = _mm256_min_ps(_mm256_max_ps(v, zero), six);
        _mm256_storeu_ps(o + co, v);
    }
    if (cv < Cout)
        pixel_scalar(base, W, Cin, ksize, ky0, ky1, kx0, kx1, w, bias, Cout, relu6, o, cv);
}
#endif

void ck_conv(const float *in, int H, int W, int Cin, int ksize, int stride, int pad,
             const float *w, const float *bias, int Cout, int relu6, float *out, int OH, int OW,
             int oy0, int oy1) {
    if (oy1 > OH) oy1 = OH;
#if defined(__x86_64__) || defined(__i386__)
    int simd = ck_use_avx2();
#endif
    for (int oy = oy0; oy < oy1; oy++) {
        int iy0 = oy * stride - pad;
        int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = H - iy0 < ksize ? H - iy0 : ksize;
        for (int ox = 0; ox < OW; ox++) {
            int ix0 = ox * stride - pad;
            int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < ksize ? W - ix0 : ksize;
            // Pointer arithmetic from the window's (possibly out-of-image) corner; only in-image
            // taps [ky0, ky1) × [kx0, kx1) are dereferenced.
            const float *base = in + ((ptrdiff_t)iy0 * W + ix0) * Cin;
            float *o = out + ((size_t)oy * OW + ox) * Cout;
#if defined(__x86_64__) || defined(__i386__)
            if (simd) {
                pixel_avx2(base, W, Cin, ksize, ky0, ky1, kx0, kx1, w, bias, Cout, relu6, o);
                continue;
            }
#endif
            pixel_scalar(base, W, Cin, ksize, ky0, ky1, kx0, kx1, w, bias, Cout, relu6, o, 0);
        }
    }
}
