// A whole inverted residual block of one image, fused row by row. Unfused, the expanded tensor (up to
// 112×112×96 floats, ~5 MB) goes to memory and back twice; here only a ring of k+1 expanded rows and
// a short band of depthwise output rows live at once, small enough to stay in L2. A small expanded
// tensor (the 14×14 and 7×7 blocks) fits in L2 whole: it is expanded in one product, so each weight
// panel is read once per image instead of once per row.
#include "ckernels.h"

enum {
    BAND_PIXELS = 48,            // enough rows per projection call for the row tiles to fill up
    // 512 KB: expanded tensors up to this size are expanded in one call (measured: 14×14×576 gains 17%,
    // 28×28×192 at 600 KB loses 12%)
    WHOLE_EXPAND_FLOATS = 131072
};

static int expands_whole(int H, int W, int Cexp) { return (size_t)H * W * Cexp <= WHOLE_EXPAND_FLOATS; }

static int band_rows(int OW, int OH) {
    int rows = OW > 0 ? (BAND_PIXELS + OW - 1) / OW : 1;
    if (rows > OH) rows = OH;
    return rows < 1 ? 1 : rows;
}

size_t ck_block_scratch_count(int H, int W, int Cexp, int OW, int OH, int ksize) {
    // Room for the ring too: without an expansion (or with fewer rows than the ring) the ring is used.
    int rows = expands_whole(H, W, Cexp) && H > ksize + 1 ? H : ksize + 1;
    size_t expanded = (size_t)rows * W * Cexp;
    return expanded + (size_t)band_rows(OW, OH) * OW * Cexp;
}

void ck_block(ck_kernels ks, const float *x, int H, int W, int Cin, const float *expand_packed,
              const float *expand_bias, int Cexp, const float *dw_w, const float *dw_bias, int ksize, int stride,
              int pad_top, int pad_left, const float *project_packed, const float *project_bias, int Cout,
              int residual, float *y, int OH, int OW, float *scratch, int relu6_flags) {
    if (ksize > CK_MAX_KERNEL || OH <= 0 || OW <= 0) return;
    int whole = expand_packed && expands_whole(H, W, Cexp);
    int ring_rows = whole ? H : ksize + 1;
    float *ring = scratch;
    int band = band_rows(OW, OH);
    float *dband = scratch + (size_t)ring_rows * W * Cexp;
    if (whole)
        ck_pointwise(ks, x, H * W, Cin, expand_packed, Cexp, 0, Cexp, expand_bias, 0, relu6_flags & CK_RELU6_EXPAND,
                     ring, 0);
    int next = 0;        // next input row to expand
    int band_start = 0;  // first output row held in dband
    const float *rows[CK_MAX_KERNEL];
    for (int oy = 0; oy < OH; oy++) {
        int iy0 = oy * stride - pad_top;
        for (int ky = 0; ky < ksize; ky++) {
            int iy = iy0 + ky;
            if (iy < 0 || iy >= H) {
                rows[ky] = 0;
            } else if (whole) {
                rows[ky] = ring + (size_t)iy * W * Cexp;
            } else if (expand_packed) {
                // Rows are expanded once each, in order; the ring keeps the last k+1, which covers
                // every window row of this output row.
                for (; next <= iy; next++)
                    ck_pointwise(ks, x + (size_t)next * W * Cin, W, Cin, expand_packed, Cexp, 0, Cexp,
                                 expand_bias, 0, relu6_flags & CK_RELU6_EXPAND,
                                 ring + (size_t)(next % ring_rows) * W * Cexp, 0);
                rows[ky] = ring + (size_t)(iy % ring_rows) * W * Cexp;
            } else {
                rows[ky] = x + (size_t)iy * W * Cin;
            }
        }
        ck_depthwise_row(ks, rows, W, Cexp, ksize, stride, pad_left, dw_w, dw_bias,
                         relu6_flags & CK_RELU6_DEPTHWISE, dband + (size_t)(oy - band_start) * OW * Cexp, OW);
        if (oy - band_start + 1 == band || oy == OH - 1) {
            int pixels = (oy - band_start + 1) * OW;
            size_t offset = (size_t)band_start * OW * Cout;
            ck_pointwise(ks, dband, pixels, Cexp, project_packed, Cout, 0, Cout, project_bias,
                         residual ? x + offset : 0, relu6_flags & CK_RELU6_PROJECT, y + offset, 0);
            band_start = oy + 1;
        }
    }
}
