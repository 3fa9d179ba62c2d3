#version 450
// Pillow-exact bicubic resize of a batch of uint8 RGB images of mixed sizes to SIZE×SIZE, then
// scaling through Keras' 256-entry table: NHWC output. Fixed point as Pillow: int32 accumulator
// from 1 << 21, weights with 22 fraction bits, result clamp(acc >> 22, 0, 255) between passes.
// A pass is skipped when its dimension does not change. When both are needed, Pillow 13 runs the
// horizontal pass first (only over the source rows the vertical pass reads) unless the height
// shrinks by more than twice as much as the width, then vertical first (flag VFIRST).
// Two dispatches, chosen by constant_id 0 (PASS):
//   PASS 0: images needing both passes: first pass, source → 8-bit intermediate (one value per word)
//           horizontal first: rowCount rows × SIZE px; vertical first: SIZE rows × srcWidth px
//   PASS 1: every image: the remaining pass (from the intermediate or the source) → scaled output
// bindings: 0 uint pixels[] (all images' RGB bytes, 4 per word, little endian)
//           1 uint images[] (12 words per image: srcByteOffset, srcWidth, srcHeight, hCoef, hTaps,
//                            vCoef, vTaps, rowOffset, rowCount, interOffset, flags, unused;
//                            flags: 1 = horizontal pass, 2 = vertical pass, 4 = vertical first)
//           2 int coefficients[] (per axis at hCoef/vCoef: starts[SIZE], counts[SIZE], weights[SIZE×taps])
//           3 uint intermediate[]
//           4 float scaleTable[256]
//           5 float output[N × SIZE × SIZE × 3] (float32 at both engine precisions)
// push constants: uint size (SIZE), uint count (N)
// specialization: 0 = PASS, 1/2 = local size x/y
// grid: PASS 0: (ceil(max intermediate width / 64), max intermediate rows, N), local 64×1×1
//       PASS 1: (ceil(SIZE / 8), ceil(SIZE / 8), N), local 8×8×1
layout(constant_id = 0) const uint PASS = 0;
layout(local_size_x_id = 1, local_size_y_id = 2) in;
layout(std430, binding = 0) readonly buffer Pixels { uint pixels[]; };
layout(std430, binding = 1) readonly buffer Images { uint images[]; };
layout(std430, binding = 2) readonly buffer Coefficients { int coefficients[]; };
layout(std430, binding = 3) buffer Intermediate { uint intermediate[]; };
layout(std430, binding = 4) readonly buffer ScaleTable { float scaleTable[]; };
layout(std430, binding = 5) writeonly buffer Output { float outputs[]; };
layout(push_constant) uniform Push { uint size; uint count; } pc;

const int HALF = 1 << 21;
uint srcOffset, interOffset;

uint clip8(int accumulator) { return uint(clamp(accumulator >> 22, 0, 255)); }

// One 8-bit value of the image being read: the source bytes or the intermediate words.
uint fetch(bool fromIntermediate, uint index) {
    if (fromIntermediate) return intermediate[interOffset + index];
    uint i = srcOffset + index;
    return (pixels[i >> 2] >> ((i & 3u) * 8u)) & 0xFFu;
}

// Output column x of input row `row` (input `width` pixels wide), coefficients at `coef`.
uvec3 horizontal(bool fromIntermediate, uint row, uint x, uint width, uint coef, uint taps) {
    int start = coefficients[coef + x];
    int count = coefficients[coef + pc.size + x];
    uint w0 = coef + 2u * pc.size + x * taps;
    uint p = (row * width + uint(start)) * 3u;
    ivec3 acc = ivec3(HALF);
    for (int k = 0; k < count; ++k) {
        int w = coefficients[w0 + uint(k)];
        acc += ivec3(fetch(fromIntermediate, p), fetch(fromIntermediate, p + 1u), fetch(fromIntermediate, p + 2u)) * w;
        p += 3u;
    }
    return uvec3(clip8(acc.r), clip8(acc.g), clip8(acc.b));
}

// Output row y at column x of an input `width` pixels wide whose row 0 is source row `rowOffset`.
uvec3 vertical(bool fromIntermediate, uint y, uint x, uint width, uint rowOffset, uint coef, uint taps) {
    int start = coefficients[coef + y] - int(rowOffset);
    int count = coefficients[coef + pc.size + y];
    uint w0 = coef + 2u * pc.size + y * taps;
    ivec3 acc = ivec3(HALF);
    for (int k = 0; k < count; ++k) {
        int w = coefficients[w0 + uint(k)];
        uint p = ((uint(start + k)) * width + x) * 3u;
        acc += ivec3(fetch(fromIntermediate, p), fetch(fromIntermediate, p + 1u), fetch(fromIntermediate, p + 2u)) * w;
    }
    return uvec3(clip8(acc.r), clip8(acc.g), clip8(acc.b));
}

void main() {
    uint n = gl_GlobalInvocationID.z;
    if (n >= pc.count) return;
    uint base = n * 12u;
    srcOffset = images[base];
    uint srcWidth = images[base + 1u];
    uint hCoef = images[base + 3u], hTaps = images[base + 4u];
    uint vCoef = images[base + 5u], vTaps = images[base + 6u];
    uint rowOffset = images[base + 7u], rowCount = images[base + 8u];
    interOffset = images[base + 9u];
    uint flags = images[base + 10u];
    bool hPass = (flags & 1u) != 0u, vPass = (flags & 2u) != 0u, vFirst = (flags & 4u) != 0u;
    bool both = hPass && vPass;
    uint size = pc.size;
    uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y;

    if (PASS == 0u) {
        if (!both) return;
        uvec3 v;
        uint o;
        if (vFirst) {
            if (x >= srcWidth || y >= size) return;
            v = vertical(false, y, x, srcWidth, 0u, vCoef, vTaps);
            o = (y * srcWidth + x) * 3u;
        } else {
            if (x >= size || y >= rowCount) return;
            v = horizontal(false, rowOffset + y, x, srcWidth, hCoef, hTaps);
            o = (y * size + x) * 3u;
        }
        intermediate[interOffset + o] = v.r;
        intermediate[interOffset + o + 1u] = v.g;
        intermediate[interOffset + o + 2u] = v.b;
        return;
    }

    if (x >= size || y >= size) return;
    uvec3 v;
    if (both && vFirst) v = horizontal(true, y, x, srcWidth, hCoef, hTaps);
    else if (both) v = vertical(true, y, x, size, rowOffset, vCoef, vTaps);
    else if (hPass) v = horizontal(false, y, x, srcWidth, hCoef, hTaps);
    else if (vPass) v = vertical(false, y, x, size, 0u, vCoef, vTaps);
    else {
        uint p = (y * size + x) * 3u;
        v = uvec3(fetch(false, p), fetch(false, p + 1u), fetch(false, p + 2u));
    }
    uint o = ((n * size + y) * size + x) * 3u;
    outputs[o] = float(scaleTable[v.r]);
    outputs[o + 1u] = float(scaleTable[v.g]);
    outputs[o + 2u] = float(scaleTable[v.b]);
}
