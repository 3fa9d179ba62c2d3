// Depthwise convolution on NHWC data: each output pixel is a short sum over its k×k window, the
// window clipped to the image instead of reading padding. The row kernel takes one pointer per
// window row, so the fused block can feed it rows from a ring buffer. The SIMD sets' row kernels are
// in depthwise_row_simd.h, the plain one here.
#include "kernel_set.h"

static inline float relu6f(float v) { return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); }

void ck_depthwise_row_scalar(const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                             const float *w, const float *bias, int relu6, float *out, int OW) {
    for (int ox = 0; ox < OW; ox++) {
        int ix0 = ox * stride - pad_left;
        int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < ksize ? W - ix0 : ksize;
        float *o = out + (size_t)ox * C;
        for (int c = 0; c < C; c++) {
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
}

void ck_depthwise_row(ck_kernels ks, const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                      const float *w, const float *bias, int relu6, float *out, int OW) {
    ck_depthwise_row_for(ks)(rows, W, C, ksize, stride, pad_left, w, bias, relu6, out, OW);
}

void ck_depthwise(ck_kernels ks, const float *in, int H, int W, int C, int ksize, int stride, int pad_top,
                  int pad_left, const float *w, const float *bias, int relu6, float *out, int OH, int OW,
                  int oy0, int oy1) {
    if (oy1 > OH) oy1 = OH;
    const float *rows[CK_MAX_KERNEL];
    if (ksize > CK_MAX_KERNEL) return;
    ck_depthwise_row_fn row = ck_depthwise_row_for(ks);
    for (int oy = oy0; oy < oy1; oy++) {
        int iy0 = oy * stride - pad_top;
        for (int ky = 0; ky < ksize; ky++) {
            int iy = iy0 + ky;
            rows[ky] = iy >= 0 && iy < H ? in + (size_t)iy * W * C : 0;
        }
        row(rows, W, C, ksize, stride, pad_left, w, bias, relu6, out + (size_t)oy * OW * C, OW);
    }
}
