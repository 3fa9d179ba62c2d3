#ifndef IMGFEAT_CRESAMPLE_H
#define IMGFEAT_CRESAMPLE_H
#include <stddef.h>
#include <stdint.h>

/// Pillow's PRECISION_BITS for 8-bit images: weights are fixed point with 2^22 = 1.0.
#define CR_PRECISION_BITS 22

/// Pillow's horizontal 8-bit pass over `rows` rows of an RGB image `in_width` pixels wide (src points at
/// the first row; src_bytes is how many bytes may be read from src): output pixel x of a row is
/// clamp((2^21 + Σ_k w[x·taps + k] · src[(starts[x] + k)·3 + c]) >> 22, 0, 255) for k < counts[x], each of
/// R, G, B; dst is rows × out_width × 3 bytes.
void cr_horizontal(const uint8_t *src, size_t src_bytes, int in_width, int rows, const int32_t *starts,
                   const int32_t *counts, const int32_t *weights, int taps, int out_width, uint8_t *dst);

/// Pillow's vertical 8-bit pass: output row y is the same sum over source rows starts[y] − row_offset + k,
/// byte by byte across a row of row_bytes bytes; src holds the rows from row_offset on, dst out_height rows.
void cr_vertical(const uint8_t *src, int row_bytes, int row_offset, const int32_t *starts, const int32_t *counts,
                 const int32_t *weights, int taps, int out_height, uint8_t *dst);

#endif
