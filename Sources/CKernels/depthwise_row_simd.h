// One output row of a depthwise convolution for one SIMD kernel set (NHWC, VW channels a vector, the
// last channels in a partial vector). Include after simd.h.

// Interior 3×3 window at channels [c, c + n): fully unrolled, two accumulators to halve the
// dependency chain. n is VW (a constant) in the main loop, so the partial loads fold away there.
CK_INLINE vf window3(const float *p0, const float *p1, const float *p2, const float *w, int C, int c, int n) {
    vf a = v_mul(v_load_upto(p0 + c, n), v_load_upto(w + c, n));
    vf b = v_mul(v_load_upto(p0 + C + c, n), v_load_upto(w + C + c, n));
    a = v_fma(v_load_upto(p0 + 2 * C + c, n), v_load_upto(w + 2 * C + c, n), a);
    b = v_fma(v_load_upto(p1 + c, n), v_load_upto(w + 3 * C + c, n), b);
    a = v_fma(v_load_upto(p1 + C + c, n), v_load_upto(w + 4 * C + c, n), a);
    b = v_fma(v_load_upto(p1 + 2 * C + c, n), v_load_upto(w + 5 * C + c, n), b);
    a = v_fma(v_load_upto(p2 + c, n), v_load_upto(w + 6 * C + c, n), a);
    b = v_fma(v_load_upto(p2 + C + c, n), v_load_upto(w + 7 * C + c, n), b);
    a = v_fma(v_load_upto(p2 + 2 * C + c, n), v_load_upto(w + 8 * C + c, n), a);
    return v_add(a, b);
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

void CK_FN(ck_depthwise_row)(const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                             const float *w, const float *bias, int relu6, float *out, int OW) {
    int cv = C - C % VW, tail = C - cv;
    int full_rows = ksize == 3 && rows[0] && rows[1] && rows[2];
    for (int ox = 0; ox < OW; ox++) {
        int ix0 = ox * stride - pad_left;
        int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < ksize ? W - ix0 : ksize;
        float *o = out + (size_t)ox * C;
        if (full_rows && kx0 == 0 && kx1 == 3) {
            const float *p0 = rows[0] + (ptrdiff_t)ix0 * C, *p1 = rows[1] + (ptrdiff_t)ix0 * C,
                        *p2 = rows[2] + (ptrdiff_t)ix0 * C;
            for (int c = 0; c < cv; c += VW) finish(o, window3(p0, p1, p2, w, C, c, VW), bias, relu6, c, VW);
            if (tail) finish(o, window3(p0, p1, p2, w, C, cv, tail), bias, relu6, cv, tail);
        } else {
            for (int c = 0; c < cv; c += VW)
                finish(o, window_clipped(rows, C, ksize, ix0, kx0, kx1, w, c, VW), bias, relu6, c, VW);
            if (tail) finish(o, window_clipped(rows, C, ksize, ix0, kx0, kx1, w, cv, tail), bias, relu6, cv, tail);
        }
    }
}
