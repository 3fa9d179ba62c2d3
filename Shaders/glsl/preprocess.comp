#version 450
// Pillow-exact bicubic resize of a batch of uint8 RGB images of mixed sizes to SIZE×SIZE, then
// scaling through Keras' 256-entry table: NHWC float output. Two passes, chosen by constant_id 0:
//   PASS 0 (horizontal): source rows [rowOffset, rowOffset + rowCount) → 8-bit clamped intermediate
//                         rows of SIZE pixels; images whose width is already SIZE do nothing.
//   PASS 1 (vertical):   intermediate (or the source when the width was already SIZE) → output;
//                         images whose height is already SIZE copy their rows.
// Fixed point as Pillow: int32 accumulator starting at 1 << 21, weights with 22 fraction bits,
// result clamp(acc >> 22, 0, 255).
// bindings: 0 uint pixels[] (all images' RGB bytes, 4 per word, little endian)
//           1 uint images[] (12 words per image: srcByteOffset, srcWidth, srcHeight, hCoef, hTaps,
//                            vCoef, vTaps, rowOffset, rowCount, interOffset, hPass, vPass)
//           2 int coefficients[] (per axis at hCoef/vCoef: starts[SIZE], counts[SIZE], weights[SIZE×taps])
//           3 uint intermediate[] (one byte value per word, rowCount × SIZE × 3 per image at interOffset)
//           4 float scaleTable[256]
//           5 OUT_T output[] (N × SIZE × SIZE × 3)
// push constants: uint size (SIZE), uint count (N)
// grid: PASS 0: (ceil(SIZE / 64), max rowCount, N) with local size 64×1×1
//       PASS 1: (ceil(SIZE / 8), ceil(SIZE / 8), N) with local size 8×8×1
#ifdef FP16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : enable
#define OUT_T float16_t
#else
#define OUT_T float
#endif
layout(constant_id = 0) const uint PASS = 0;
layout(local_size_x_id = 1, local_size_y_id = 2) in;
layout(std430, binding = 0) readonly buffer Pixels { uint pixels[]; };
layout(std430, binding = 1) readonly buffer Images { uint images[]; };
layout(std430, binding = 2) readonly buffer Coefficients { int coefficients[]; };
layout(std430, binding = 3) buffer Intermediate { uint intermediate[]; };
layout(std430, binding = 4) readonly buffer ScaleTable { float scaleTable[]; };
layout(std430, binding = 5) writeonly buffer Output { OUT_T outputs[]; };
layout(push_constant) uniform Push { uint size; uint count; } pc;

uint sourceByte(uint index) { return (pixels[index >> 2] >> ((index & 3u) * 8u)) & 0xFFu; }

uint clip8(int accumulator) { return uint(clamp(accumulator >> 22, 0, 255)); }

void main() {
    uint n = gl_GlobalInvocationID.z;
    if (n >= pc.count) return;
    uint base = n * 12u;
    uint srcOffset = images[base], srcWidth = images[base + 1u];
    uint hCoef = images[base + 3u], hTaps = images[base + 4u];
    uint vCoef = images[base + 5u], vTaps = images[base + 6u];
    uint rowOffset = images[base + 7u], rowCount = images[base + 8u];
    uint interOffset = images[base + 9u];
    bool hPass = images[base + 10u] != 0u, vPass = images[base + 11u] != 0u;
    uint size = pc.size;
    const int half_ = 1 << 21;

    if (PASS == 0u) {
        uint x = gl_GlobalInvocationID.x, row = gl_GlobalInvocationID.y;
        if (!hPass || x >= size || row >= rowCount) return;
        int start = coefficients[hCoef + x];
        int taps = coefficients[hCoef + size + x];
        uint w0 = hCoef + 2u * size + x * hTaps;
        uint p = srcOffset + ((rowOffset + row) * srcWidth + uint(start)) * 3u;
        int r = half_, g = half_, b = half_;
        for (int k = 0; k < taps; ++k) {
            int w = coefficients[w0 + uint(k)];
            r += int(sourceByte(p)) * w;
            g += int(sourceByte(p + 1u)) * w;
            b += int(sourceByte(p + 2u)) * w;
            p += 3u;
        }
        uint o = interOffset + (row * size + x) * 3u;
        intermediate[o] = clip8(r);
        intermediate[o + 1u] = clip8(g);
        intermediate[o + 2u] = clip8(b);
        return;
    }

    uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y;
    if (x >= size || y >= size) return;
    uint value[3];
    if (vPass) {
        int start = coefficients[vCoef + y] - int(rowOffset);
        int taps = coefficients[vCoef + size + y];
        uint w0 = vCoef + 2u * size + y * vTaps;
        int acc[3] = int[3](half_, half_, half_);
        for (int k = 0; k < taps; ++k) {
            int w = coefficients[w0 + uint(k)];
            uint row = uint(start + k);
            for (uint c = 0u; c < 3u; ++c) {
                // Without a horizontal pass the source row already has SIZE pixels.
                uint v = hPass ? intermediate[interOffset + (row * size + x) * 3u + c]
                               : sourceByte(srcOffset + (row * size + x) * 3u + c);
                acc[c] += int(v) * w;
            }
        }
        for (uint c = 0u; c < 3u; ++c) value[c] = clip8(acc[c]);
    } else {
        for (uint c = 0u; c < 3u; ++c) {
            value[c] = hPass ? intermediate[interOffset + (y * size + x) * 3u + c]
                             : sourceByte(srcOffset + (y * size + x) * 3u + c);
        }
    }
    uint o = ((n * size + y) * size + x) * 3u;
    for (uint c = 0u; c < 3u; ++c) outputs[o + c] = OUT_T(scaleTable[value[c]]);
}
