// The pointwise (1×1) convolution driver of one SIMD kernel set, over the tiles of pointwise_tile.h in
// three heights (TILE_MR, 2/3 and 1/3 of it), so the last rows of a call, and calls of few rows (the
// expansion of one 7- or 14-pixel row), waste little work on repeated rows; each in a TILE_PANELS-wide
// and, for the last columns, a one-panel version. Include after simd.h.
#define TILE_MR2 (2 * TILE_MR / 3)
#define TILE_MR3 (TILE_MR / 3)
#define T_NAME tile_h1_p1
#define T_MR TILE_MR
#define T_NP 1
#include "pointwise_tile.h"
#define T_NAME tile_h2_p1
#define T_MR TILE_MR2
#define T_NP 1
#include "pointwise_tile.h"
#define T_NAME tile_h3_p1
#define T_MR TILE_MR3
#define T_NP 1
#include "pointwise_tile.h"
#if TILE_PANELS == 2
#define T_NAME tile_h1_p2
#define T_MR TILE_MR
#define T_NP 2
#include "pointwise_tile.h"
#define T_NAME tile_h2_p2
#define T_MR TILE_MR2
#define T_NP 2
#include "pointwise_tile.h"
#define T_NAME tile_h3_p2
#define T_MR TILE_MR3
#define T_NP 2
#include "pointwise_tile.h"
#endif

// Rows per block: a slice of the input stays hot in cache while every panel of weights passes by.
enum { MBLOCK = 96 };

void CK_FN(ck_pointwise)(const float *in, int M, int K, const float *packed, int N, int n0, int n1,
                         const float *bias, const float *residual, int relu6, float *out, float *colsum) {
    const size_t pstride = (size_t)K * 16;
    for (int mb = 0; mb < M; mb += MBLOCK) {
        int me = mb + MBLOCK < M ? mb + MBLOCK : M;
        for (int n = n0; n < n1; n += TILE_PANELS * 16) {
            int nr = n1 - n < TILE_PANELS * 16 ? n1 - n : TILE_PANELS * 16;
            const float *bp = packed + (size_t)(n / 16) * pstride;
            for (int m = mb; m < me;) {
                // The lowest tile that holds the rows left, or the full one while more are left.
                int left = me - m, mr = left < TILE_MR ? left : TILE_MR;
                int height = left > TILE_MR2 ? 1 : (left > TILE_MR3 ? 2 : 3);
                const float *a = in + (size_t)m * K;
                const float *res = residual ? residual + (size_t)m * N + n : 0;
                float *c = out ? out + (size_t)m * N + n : 0, *cs = colsum ? colsum + n : 0;
#if TILE_PANELS == 2
                if (nr > 16) {
                    if (height == 1) tile_h1_p2(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                    else if (height == 2) tile_h2_p2(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                    else tile_h3_p2(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                } else
#endif
                {
                    if (height == 1) tile_h1_p1(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                    else if (height == 2) tile_h2_p1(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                    else tile_h3_p1(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                }
                m += mr;
            }
        }
    }
}
