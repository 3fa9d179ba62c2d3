// Pillow's 8-bit fixed-point resampling passes (src/libImaging/Resample.c ImagingResampleHorizontal_8bpc
// and ImagingResampleVertical_8bpc) in int32 vector arithmetic: the same products, sums, shift and clamp
// as Pillow's scalar loops, so every byte is identical, only several bytes at a time. Written with the
// compiler's generic vectors, so one source serves SSE2, AVX2 (a clone picked at load time) and NEON.
#include "cresample.h"
#include <string.h>

typedef int32_t v4i __attribute__((vector_size(16)));
typedef uint8_t v4u8 __attribute__((vector_size(4)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef uint8_t v8u8 __attribute__((vector_size(8)));

#if defined(__x86_64__) && defined(__clang__)
// AVX2 has 8-lane int32 multiplies (SSE2 has none); the loader picks the clone once per process.
#define CR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CR_CLONES
#endif

enum { HALF = 1 << (CR_PRECISION_BITS - 1) };

static inline uint8_t clip8(int32_t acc) {
    int32_t v = acc >> CR_PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

CR_CLONES
void cr_horizontal(const uint8_t *src, size_t src_bytes, int in_width, int rows, const int32_t *starts,
                   const int32_t *counts, const int32_t *weights, int taps, int out_width, uint8_t *dst) {
    size_t in_row = (size_t)in_width * 3, out_row = (size_t)out_width * 3;
    for (int y = 0; y < rows; y++) {
        const uint8_t *row = src + (size_t)y * in_row;
        uint8_t *o = dst + (size_t)y * out_row;
        for (int x = 0; x < out_width; x++) {
            const uint8_t *p = row + (size_t)starts[x] * 3;
            const int32_t *w = weights + (size_t)x * taps;
            int n = counts[x];
            // R, G, B and the next pixel's R (ignored) in one vector; the 4-byte load may not run past
            // the buffer, so the last pixels of the image go the scalar way.
            if ((size_t)(p - src) + 3 * (size_t)n + 1 <= src_bytes) {
                v4i acc = {HALF, HALF, HALF, HALF};
                for (int k = 0; k < n; k++) {
                    v4u8 bytes;
                    memcpy(&bytes, p + 3 * k, 4);
                    acc += __builtin_convertvector(bytes, v4i) * w[k];
                }
                o[3 * x] = clip8(acc[0]);
                o[3 * x + 1] = clip8(acc[1]);
                o[3 * x + 2] = clip8(acc[2]);
            } else {
                for (int c = 0; c < 3; c++) {
                    int32_t acc = HALF;
                    for (int k = 0; k < n; k++) acc += (int32_t)p[3 * k + c] * w[k];
                    o[3 * x + c] = clip8(acc);
                }
            }
        }
    }
}

CR_CLONES
void cr_vertical(const uint8_t *src, int row_bytes, int row_offset, const int32_t *starts, const int32_t *counts,
                 const int32_t *weights, int taps, int out_height, uint8_t *dst) {
    const v8i zero = {0}, top = {255, 255, 255, 255, 255, 255, 255, 255};
    int vector_end = row_bytes - row_bytes % 8;
    for (int y = 0; y < out_height; y++) {
        const uint8_t *first = src + (size_t)(starts[y] - row_offset) * row_bytes;
        const int32_t *w = weights + (size_t)y * taps;
        int n = counts[y];
        uint8_t *o = dst + (size_t)y * row_bytes;
        int i = 0;
        // Eight bytes at a time, all taps summed in registers before one store.
        for (; i < vector_end; i += 8) {
            v8i acc = {HALF, HALF, HALF, HALF, HALF, HALF, HALF, HALF};
            for (int k = 0; k < n; k++) {
                v8u8 bytes;
                memcpy(&bytes, first + (size_t)k * row_bytes + i, 8);
                acc += __builtin_convertvector(bytes, v8i) * w[k];
            }
            acc >>= CR_PRECISION_BITS;
            // Clamp with lane masks (all ones where true): C has no vector ?: in every compiler.
            acc &= ~(acc < zero);
            v8i high = acc > top;
            acc = (acc & ~high) | (top & high);
            v8u8 out = __builtin_convertvector(acc, v8u8);
            memcpy(o + i, &out, 8);
        }
        for (; i < row_bytes; i++) {
            int32_t acc = HALF;
            for (int k = 0; k < n; k++) acc += (int32_t)first[(size_t)k * row_bytes + i] * w[k];
            o[i] = clip8(acc);
        }
    }
}
