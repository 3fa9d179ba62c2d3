// Full k×k convolution on NHWC data (the stem). Each output row is unrolled into a patch matrix
// (OW × k·k·Cin, zeros where the window leaves the image) and multiplied by the packed weights with
// the pointwise kernel, so the stem shares its register-blocked tile and fused epilogue.
#include "ckernels.h"
#include <stdlib.h>
#include <string.h>

void ck_conv(ck_kernels ks, const float *in, int H, int W, int Cin, int ksize, int stride, int pad_top,
             int pad_left, const float *packed, const float *bias, int Cout, int relu6, float *out, int OH,
             int OW, int oy0, int oy1) {
    if (oy1 > OH) oy1 = OH;
    if (oy0 >= oy1 || OW <= 0) return;
    int K = ksize * ksize * Cin;
    float *patch = malloc((size_t)OW * K * sizeof(float));
    if (!patch) {
        // Out of memory: leave the rows unwritten rather than crash; callers poison-check in tests.
        return;
    }
    for (int oy = oy0; oy < oy1; oy++) {
        int iy0 = oy * stride - pad_top;
        for (int ox = 0; ox < OW; ox++) {
            int ix0 = ox * stride - pad_left;
            float *p = patch + (size_t)ox * K;
            if (ix0 >= 0 && ix0 + ksize <= W) {
                // Window inside the row: each window row is ksize·Cin contiguous floats (9 for RGB 3×3).
                for (int ky = 0; ky < ksize; ky++, p += ksize * Cin) {
                    int iy = iy0 + ky;
                    if (iy < 0 || iy >= H) memset(p, 0, (size_t)ksize * Cin * sizeof(float));
                    else memcpy(p, in + ((size_t)iy * W + ix0) * Cin, (size_t)ksize * Cin * sizeof(float));
                }
                continue;
            }
            for (int ky = 0; ky < ksize; ky++) {
                int iy = iy0 + ky;
                for (int kx = 0; kx < ksize; kx++, p += Cin) {
                    int ix = ix0 + kx;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) memset(p, 0, (size_t)Cin * sizeof(float));
                    else memcpy(p, in + ((size_t)iy * W + ix) * Cin, (size_t)Cin * sizeof(float));
                }
            }
        }
        ck_pointwise(ks, patch, OW, K, packed, Cout, 0, Cout, bias, NULL, relu6,
                     out + (size_t)oy * OW * Cout, NULL);
    }
    free(patch);
}
