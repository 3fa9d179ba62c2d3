// One register tile of the pointwise matrix product, instantiated once per shape: define T_NAME,
// T_MR (rows) and T_NP (16-column panels) and include this after simd.h. The accumulators are a
// T_MR × NV array of vectors whose loops all unroll fully, so they live in registers.
//
// The tile computes rows [0, mr) of `a` (row stride K) times panels bp, bp + pstride, … (nr valid
// columns, nr > 16·(T_NP−1), so every panel read exists; packed panels are zero-padded), then adds
// bias (+ residual), clamps (ReLU6) and stores to c (row stride ldc) or adds into colsum.
static void T_NAME(const float *a, int mr, int K, const float *bp, size_t pstride, int nr, const float *bias,
                   const float *res, int ldc, int relu6, float *c, float *colsum) {
    enum { VPP = 16 / VW, NV = T_NP * VPP };
    // Missing rows repeat the last real one: wasted work on the edge tile only, never stored.
    const float *row[T_MR];
    row[0] = a;
    CK_UNROLL for (int r = 1; r < T_MR; r++) row[r] = r < mr ? a + (size_t)r * K : row[r - 1];
    vf acc[T_MR][NV];
    CK_UNROLL for (int r = 0; r < T_MR; r++) CK_UNROLL for (int j = 0; j < NV; j++) acc[r][j] = v_zero();
    for (int k = 0; k < K; k++) {
        vf b[NV];
        CK_UNROLL for (int j = 0; j < NV; j++) b[j] = v_load(bp + (j / VPP) * pstride + (size_t)k * 16 + (j % VPP) * VW);
        CK_UNROLL for (int r = 0; r < T_MR; r++) {
            vf t = v_bcast(row[r] + k);
            CK_UNROLL for (int j = 0; j < NV; j++) acc[r][j] = v_fma(t, b[j], acc[r][j]);
        }
    }
    vf bv[NV];
    CK_UNROLL for (int j = 0; j < NV; j++) {
        int n = nr - j * VW;
        bv[j] = n > 0 ? v_load_upto(bias + j * VW, n) : v_zero();
    }
    CK_UNROLL for (int r = 0; r < T_MR; r++) {
        if (r < mr) {
            float *dst = colsum ? colsum : c + (size_t)r * ldc;
            const float *rr = res ? res + (size_t)r * ldc : 0;
            CK_UNROLL for (int j = 0; j < NV; j++) {
                int n = nr - j * VW;
                if (n > 0) {
                    vf v = v_add(acc[r][j], bv[j]);
                    if (rr) v = v_add(v, v_load_upto(rr + j * VW, n));
                    if (relu6) v = v_relu6(v);
                    if (colsum) v = v_add(v, v_load_upto(dst + j * VW, n));
                    v_store_upto(dst + j * VW, v, n);
                }
            }
        }
    }
}
#undef T_NAME
#undef T_MR
#undef T_NP
