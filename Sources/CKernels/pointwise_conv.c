// 1×1 convolution as a matrix product with bias, residual and ReLU6 applied in the epilogue, so no
// extra pass over the output is needed. Weights are packed once into 16-column panels, the layout
// every kernel set reads; the SIMD sets' register tiles are in pointwise_simd.h, the plain one here.
#include "kernel_set.h"

size_t ck_pointwise_packed_count(int K, int N) {
    return (size_t)((N + 15) / 16) * 16 * (size_t)K;
}

void ck_pointwise_pack(const float *w, int K, int N, float *packed) {
    int panels = (N + 15) / 16;
    for (int p = 0; p < panels; p++)
        for (int k = 0; k < K; k++)
            for (int j = 0; j < 16; j++) {
                int n = p * 16 + j;
                packed[((size_t)p * K + k) * 16 + j] = n < N ? w[(size_t)k * N + n] : 0.0f;
            }
}

void ck_pointwise_scalar(const float *in, int M, int K, const float *packed, int N, int n0, int n1,
                         const float *bias, const float *residual, int relu6, float *out, float *colsum) {
    for (int m = 0; m < M; m++) {
        const float *a = in + (size_t)m * K;
        for (int n = n0; n < n1; n++) {
            const float *b = packed + (size_t)(n / 16) * K * 16 + (n % 16);
            float acc = 0.0f;
            for (int k = 0; k < K; k++) acc += a[k] * b[(size_t)k * 16];
            float v = acc + bias[n];
            if (residual) v += residual[(size_t)m * N + n];
            if (relu6) v = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
            if (colsum) colsum[n] += v; else out[(size_t)m * N + n] = v;
        }
    }
}

void ck_pointwise(ck_kernels ks, const float *in, int M, int K, const float *packed, int N, int n0, int n1,
                  const float *bias, const float *residual, int relu6, float *out, float *colsum) {
    if (n1 > N) n1 = N;
    if (M <= 0 || n0 >= n1) return;
    ck_pointwise_for(ks)(in, M, K, packed, N, n0, n1, bias, residual, relu6, out, colsum);
}
