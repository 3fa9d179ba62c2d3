// One output row of a depthwise convolution for one SIMD kernel set (NHWC, VW channels a vector, the
// last channels in a partial vector). Include after simd.h.

// The interior pixels [ox0, ox1) of a 3×3 row (whole window inside the image) at channels [c, c + n):
// channel-vector outer, pixel inner, so the nine weights and the bias stay in registers and each
// multiply-add needs one load, not two. n is VW (a constant) in the main loop, so the partial loads
// fold away there.
CK_INLINE void interior3(const float *const *rows, int C, int stride, int pad_left, int ox0, int ox1,
                         const float *w, const float *bias, int relu6, float *out, int c, int n) {
    vf w0 = v_load_upto(w + c, n), w1 = v_load_upto(w + C + c, n), w2 = v_load_upto(w + 2 * C + c, n);
    vf w3 = v_load_upto(w + 3 * C + c, n), w4 = v_load_upto(w + 4 * C + c, n), w5 = v_load_upto(w + 5 * C + c, n);
    vf w6 = v_load_upto(w + 6 * C + c, n), w7 = v_load_upto(w + 7 * C + c, n), w8 = v_load_upto(w + 8 * C + c, n);
    vf b = v_load_upto(bias + c, n);
    ptrdiff_t step = (ptrdiff_t)stride * C;
    const float *p0 = rows[0] + (ptrdiff_t)(ox0 * stride - pad_left) * C + c;
    const float *p1 = rows[1] + (p0 - rows[0]), *p2 = rows[2] + (p0 - rows[0]);
    float *o = out + (size_t)ox0 * C + c;
    for (int ox = ox0; ox < ox1; ox++, p0 += step, p1 += step, p2 += step, o += C) {
        // Two chains of multiply-adds; pixels are independent, so out-of-order execution overlaps them.
        vf a = v_fma(v_load_upto(p0, n), w0, b);
        vf d = v_mul(v_load_upto(p0 + C, n), w1);
        a = v_fma(v_load_upto(p0 + 2 * C, n), w2, a);
        d = v_fma(v_load_upto(p1, n), w3, d);
        a = v_fma(v_load_upto(p1 + C, n), w4, a);
        d = v_fma(v_load_upto(p1 + 2 * C, n), w5, d);
        a = v_fma(v_load_upto(p2, n), w6, a);
        d = v_fma(v_load_upto(p2 + C, n), w7, d);
        a = v_fma(v_load_upto(p2 + 2 * C, n), w8, a);
        vf v = v_add(a, d);
        if (relu6) v = v_relu6(v);
        v_store_upto(o, v, n);
    }
}

// Any window clipped to the image: rows[ky] NULL above or below it, columns [kx0, kx1) inside it.
CK_INLINE vf window_clipped(const float *const *rows, int C, int ksize, int ix0, int kx0, int kx1, const float *w,
                            int c, int n) {
    vf a = v_zero();
    for (int ky = 0; ky < ksize; ky++) {
        if (!rows[ky]) continue;
        for (int kx = kx0; kx < kx1; kx++)
            a = v_fma(v_load_upto(rows[ky] + (ptrdiff_t)(ix0 + kx) * C + c, n),
                      v_load_upto(w + (ky * ksize + kx) * C + c, n), a);
    }
    return a;
}

CK_INLINE void finish(float *o, vf acc, const float *bias, int relu6, int c, int n) {
    vf v = v_add(acc, v_load_upto(bias + c, n));
    if (relu6) v = v_relu6(v);
    v_store_upto(o + c, v, n);
}

// One pixel with its window clipped (image borders, rows missing, other kernel sizes), all channels.
CK_INLINE void pixel_clipped(const float *const *rows, int W, int C, int ksize, int stride, int pad_left, int ox,
                             const float *w, const float *bias, int relu6, float *out) {
    int cv = C - C % VW, tail = C - cv;
    int ix0 = ox * stride - pad_left;
    int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < ksize ? W - ix0 : ksize;
    float *o = out + (size_t)ox * C;
    for (int c = 0; c < cv; c += VW)
        finish(o, window_clipped(rows, C, ksize, ix0, kx0, kx1, w, c, VW), bias, relu6, c, VW);
    if (tail) finish(o, window_clipped(rows, C, ksize, ix0, kx0, kx1, w, cv, tail), bias, relu6, cv, tail);
}

void CK_FN(ck_depthwise_row)(const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                             const float *w, const float *bias, int relu6, float *out, int OW) {
    // Interior: 3×3 with all three rows present, pixels whose window starts at or after column 0 and
    // ends at or before column W.
    int ox0 = OW, ox1 = OW;
    if (ksize == 3 && rows[0] && rows[1] && rows[2] && W >= 3) {
        ox0 = (pad_left + stride - 1) / stride;
        ox1 = (W - 3 + pad_left) / stride + 1;
        if (ox1 > OW) ox1 = OW;
        if (ox0 > ox1) ox0 = ox1;
    }
    for (int ox = 0; ox < ox0; ox++) pixel_clipped(rows, W, C, ksize, stride, pad_left, ox, w, bias, relu6, out);
    if (ox0 < ox1) {
        int cv = C - C % VW, tail = C - cv;
        for (int c = 0; c < cv; c += VW) interior3(rows, C, stride, pad_left, ox0, ox1, w, bias, relu6, out, c, VW);
        if (tail) interior3(rows, C, stride, pad_left, ox0, ox1, w, bias, relu6, out, cv, tail);
    }
    for (int ox = ox1; ox < OW; ox++) pixel_clipped(rows, W, C, ksize, stride, pad_left, ox, w, bias, relu6, out);
}
