// Global average pooling of an HW×C matrix (one NHWC image) into C means.
#include "ckernels.h"

void ck_global_avg_pool(const float *in, int HW, int C, float *out) {
    for (int c = 0; c < C; c++) out[c] = 0.0f;
    // Row-wise accumulation walks memory in order and vectorises over channels.
    for (int r = 0; r < HW; r++) {
        const float *row = in + (size_t)r * C;
        for (int c = 0; c < C; c++) out[c] += row[c];
    }
    if (HW > 0)
        for (int c = 0; c < C; c++) out[c] /= (float)HW;
}
