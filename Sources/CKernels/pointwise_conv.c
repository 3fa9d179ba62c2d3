// 1×1 convolution as a register-blocked matrix product (6 rows × 16 columns per tile) whose
// epilogue applies bias, residual and ReLU6 while the tile is still in registers, so no extra
// pass over the output is needed.
#include "ckernels.h"
#include "dispatch.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

enum { MR = 6, NR = 16, MBLOCK = 96 };

size_t ck_pointwise_packed_count(int K, int N) {
    return (size_t)((N + NR - 1) / NR) * NR * (size_t)K;
}

void ck_pointwise_pack(const float *w, int K, int N, float *packed) {
    int panels = (N + NR - 1) / NR;
    for (int p = 0; p < panels; p++)
        for (int k = 0; k < K; k++)
            for (int j = 0; j < NR; j++) {
                int n = p * NR + j;
                packed[((size_t)p * K + k) * NR + j] = n < N ? w[(size_t)k * N + n] : 0.0f;
            }
}

static inline float epilogue1(float v, int relu6) {
    if (relu6) v = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    return v;
}

static void pointwise_scalar(const float *in, int M, int K, const float *packed, int N, int n0,
                             int n1, const float *bias, const float *residual, int relu6,
                             float *out, float *colsum) {
    for (int m = 0; m < M; m++) {
        const float *a = in + (size_t)m * K;
        for (int n = n0; n < n1; n++) {
            const float *b = packed + (size_t)(n / NR) * K * NR + (n % NR);
            float acc = 0.0f;
            for (int k = 0; k < K; k++) acc += a[k] * b[(size_t)k * NR];
            float v = acc + bias[n];
            if (residual) v += residual[(size_t)m * N + n];
            v = epilogue1(v, relu6);
            if (colsum) colsum[n] += v; else out[(size_t)m * N + n] = v;
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static inline __m256i lane_mask(int valid) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// One tile: rows [0, mr) of `a` (row stride K) times one packed panel, nr valid columns.
__attribute__((target("avx2,fma")))
static void tile_avx2(const float *a, int mr, int K, const float *bp, int nr, const float *bias,
                      const float *res, int ldc, int relu6, float *c, float *colsum) {
    // Missing rows repeat the last real one: wasted work on the edge tile only, never stored.
    const float *r0 = a;
    const float *r1 = mr > 1 ? a + (size_t)K : r0;
    const float *r2 = mr > 2 ? a + (size_t)2 * K : r1;
    const float *r3 = mr > 3 ? a + (size_t)3 * K : r2;
    const float *r4 = mr > 4 ? a + (size_t)4 * K : r3;
    const float *r5 = mr > 5 ? a + (size_t)5 * K : r4;
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int k = 0; k < K; k++) {
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
        bp += NR;
        __m256 t;
        t = _mm256_broadcast_ss(r0 + k); c00 = _mm256_fmadd_ps(t, b0, c00); c01 = _mm256_fmadd_ps(t, b1, c01);
        t = _mm256_broadcast_ss(r1 + k); c10 = _mm256_fmadd_ps(t, b0, c10); c11 = _mm256_fmadd_ps(t, b1, c11);
        t = _mm256_broadcast_ss(r2 + k); c20 = _mm256_fmadd_ps(t, b0, c20); c21 = _mm256_fmadd_ps(t, b1, c21);
        t = _mm256_broadcast_ss(r3 + k); c30 = _mm256_fmadd_ps(t, b0, c30); c31 = _mm256_fmadd_ps(t, b1, c31);
        t = _mm256_broadcast_ss(r4 + k); c40 = _mm256_fmadd_ps(t, b0, c40); c41 = _mm256_fmadd_ps(t, b1, c41);
        t = _mm256_broadcast_ss(r5 + k); c50 = _mm256_fmadd_ps(t, b0, c50); c51 = _mm256_fmadd_ps(t, b1, c51);
    }
    __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    __m256i m0 = lane_mask(nr), m1 = lane_mask(nr - 8);
    int full = nr == NR;
    __m256 bias0 = full ? _mm256_loadu_ps(bias) : _mm256_maskload_ps(bias, m0);
    __m256 bias1 = full ? _mm256_loadu_ps(bias + 8) : _mm256_maskload_ps(bias + 8, m1);
    __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);
    for (int r = 0; r < mr; r++) {
        __m256 v0 = _mm256_add_ps(acc[r][0], bias0), v1 = _mm256_add_ps(acc[r][1], bias1);
        if (res) {
            const float *rr = res + (size_t)r * ldc;
            v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(rr) : _mm256_maskload_ps(rr, m0));
            v1 = _mm256_add_ps(v1, full ? _mm256_loadu_ps(rr + 8) : _mm256_maskload_ps(rr + 8, m1));
        }
        if (relu6) {
            v0 = _mm256_min_ps(_mm256_max_ps(v0, zero), six);
            v1 = _mm256_min_ps(_mm256_max_ps(v1, zero), six);
        }
        float *dst = colsum ? colsum : c + (size_t)r * ldc;
        if (colsum) {
            v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(dst) : _mm256_maskload_ps(dst, m0));
            v1 = _mm256_add_ps(v1, full ? _mm256_loadu_ps(dst + 8) : _mm256_maskload_ps(dst + 8, m1));
        }
        if (full) {
            _mm256_storeu_ps(dst, v0);
            _mm256_storeu_ps(dst + 8, v1);
        } else {
            _mm256_maskstore_ps(dst, m0, v0);
            _mm256_maskstore_ps(dst + 8, m1, v1);
        }
    }
}

__attribute__((target("avx2,fma")))
static void pointwise_avx2(const float *in, int M, int K, const float *packed, int N, int n0,
                           int n1, const float *bias, const float *residual, int relu6,
                           float *out, float *colsum) {
    // Row blocks keep a slice of the input hot in cache while every panel of weights passes by.
    for (int mb = 0; mb < M; mb += MBLOCK) {
        int me = mb + MBLOCK < M ? mb + MBLOCK : M;
        for (int n = n0; n < n1; n += NR) {
            int nr = n1 - n < NR ? n1 - n : NR;
            const float *bp = packed + (size_t)(n / NR) * K * NR;
            for (int m = mb; m < me; m += MR) {
                int mr = me - m < MR ? me - m : MR;
                tile_avx2(in + (size_t)m * K, mr, K, bp, nr, bias + n,
                          residual ? residual + (size_t)m * N + n : 0, N, relu6,
                          out ? out + (size_t)m * N + n : 0, colsum ? colsum + n : 0);
            }
        }
    }
}
#endif

void ck_pointwise(const float *in, int M, int K, const float *packed, int N, int n0, int n1,
                  const float *bias, const float *residual, int relu6, float *out, float *colsum) {
    if (n1 > N) n1 = N;
    if (M <= 0 || n0 >= n1) return;
#if defined(__x86_64__) || defined(__i386__)
    if (ck_use_avx2()) {
        pointwise_avx2(in, M, K, packed, N, n0, n1, bias, residual, relu6, out, colsum);
        return;
    }
#endif
    pointwise_scalar(in, M, K, packed, N, n0, n1, bias, residual, relu6, out, colsum);
}
