// The pointwise (1×1) convolution driver of one SIMD kernel set, over the tiles of pointwise_tile.h:
// a full TILE_MR-row tile and a half-height one for the last rows, each in a TILE_PANELS-wide and,
// for the last columns, a one-panel version. Include after simd.h.
#define T_NAME tile_full_1
#define T_MR TILE_MR
#define T_NP 1
#include "pointwise_tile.h"
#define T_NAME tile_half_1
#define T_MR (TILE_MR / 2)
#define T_NP 1
#include "pointwise_tile.h"
#if TILE_PANELS == 2
#define T_NAME tile_full_2
#define T_MR TILE_MR
#define T_NP 2
#include "pointwise_tile.h"
#define T_NAME tile_half_2
#define T_MR (TILE_MR / 2)
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
                // Rows left over after the full tiles go through the half-height tile when they fit in
                // it, so a 49-row layer wastes at most TILE_MR/2 − 1 rows of work, not TILE_MR − 1.
                int left = me - m, half = left <= TILE_MR / 2;
                int mr = half ? left : (left < TILE_MR ? left : TILE_MR);
                const float *a = in + (size_t)m * K;
                const float *res = residual ? residual + (size_t)m * N + n : 0;
                float *c = out ? out + (size_t)m * N + n : 0;
                float *cs = colsum ? colsum + n : 0;
#if TILE_PANELS == 2
                if (nr > 16) {
                    if (half) tile_half_2(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                    else tile_full_2(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                } else
#endif
                {
                    if (half) tile_half_1(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                    else tile_full_1(a, mr, K, bp, pstride, nr, bias + n, res, N, relu6, c, cs);
                }
                m += mr;
            }
        }
    }
}
