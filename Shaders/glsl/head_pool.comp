#version 450
// The head 1×1 convolution fused with the global average pool: for image b and output channel c,
//   output[b][c] = mean over p < P of act(bias[c] + Σ_k input[b][p][k] · weights[k][c]),
// act = ReLU6 when relu6 = 1, so the N×P×C head activation is never stored. Each invocation owns CH
// channels of its workgroup's WG_X·CH (tx + j·WG_X, strided so neighbours read adjacent weights) and
// walks the image's pixels PX at a time (blocks ty, ty + WG_Y, …): a PX×CH register tile accumulated
// over K, then bias and ReLU6 per pixel and the valid pixels added to its CH channel sums. With
// WG_Y > 1 the WG_Y partial sums are added in shared memory. Buffers are read directly (no shared
// tiles): each image's P×K input is reused from cache by every channel group, and a tile of PX×CH
// multiply-adds costs PX + CH loads.
// storage: IN_T / LOAD_IN (input) defined by the launcher from its StorageFormat (float32, float16, or
//          16-bit fixed point over [0, 6]); weights, bias and output float32
// arithmetic: operands and products in ARITH_T, the per-pixel sums, bias and ReLU6 in ACC_T (float
//          unless the launcher defines them; ARITH_FLOAT16 enables float16); the sums over pixels float

// specialization: constant_id 0 = WG_X, 1 = WG_Y (local size), 2 = PX (pixels per block),
//                 3 = CH (channels per invocation)
// bindings: 0 IN_T input[N×P×K]  1 float weights[K×C]  2 float bias[C]  3 float output[N×C]
// push constants (uint): n, pixels (P ≥ 1), k, c, relu6
// grid: (ceil(C / (WG_X·CH)), N, 1)
#extension GL_EXT_shader_16bit_storage : require
#ifdef ARITH_FLOAT16
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
#ifndef ARITH_T
#define ARITH_T float
#define ARITH_VEC4 vec4
#endif
#ifndef ACC_T
#define ACC_T float
#define ACC_VEC4 vec4
#endif
layout(local_size_x_id = 0, local_size_y_id = 1) in;
layout(constant_id = 2) const uint PX = 8;
layout(constant_id = 3) const uint CH = 8;
const uint TILE_C = gl_WorkGroupSize.x * CH;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { float outputs[]; };
layout(push_constant) uniform Push { uint n, pixels, k, c, relu6; } pc;

shared float partial[gl_WorkGroupSize.y * TILE_C];  // [ty][j][tx]

void main() {
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint b = gl_WorkGroupID.y, colBase = gl_WorkGroupID.x * TILE_C;
    // Clamped indices keep every load in bounds; channels past the edge are not written.
    uint cols[CH];
    ACC_T bj[CH];
    float sums[CH];
    for (uint j = 0u; j < CH; ++j) {
        cols[j] = min(colBase + tx + j * gl_WorkGroupSize.x, pc.c - 1u);
        bj[j] = ACC_T(bias[cols[j]]);
        sums[j] = 0.0;
    }
    uint imageBase = b * pc.pixels;
    for (uint p0 = ty * PX; p0 < pc.pixels; p0 += gl_WorkGroupSize.y * PX) {
        uint rows[PX];
        for (uint i = 0u; i < PX; ++i) rows[i] = (imageBase + min(p0 + i, pc.pixels - 1u)) * pc.k;
        ACC_T acc[PX][CH];
        for (uint i = 0u; i < PX; ++i)
            for (uint j = 0u; j < CH; ++j) acc[i][j] = bj[j];
        for (uint kk = 0u; kk < pc.k; ++kk) {
            ARITH_T a[PX], w[CH];
            for (uint i = 0u; i < PX; ++i) a[i] = ARITH_T(LOAD_IN(inputs[rows[i] + kk]));
            for (uint j = 0u; j < CH; ++j) w[j] = ARITH_T(weights[kk * pc.c + cols[j]]);
            for (uint i = 0u; i < PX; ++i)
                for (uint j = 0u; j < CH; ++j) acc[i][j] += ACC_T(a[i] * w[j]);
        }
        uint valid = min(PX, pc.pixels - p0);
        for (uint i = 0u; i < valid; ++i) {
            for (uint j = 0u; j < CH; ++j) {
                ACC_T v = acc[i][j];
                if (pc.relu6 != 0u) v = clamp(v, ACC_T(0.0), ACC_T(6.0));
                sums[j] += float(v);
            }
        }
    }
    if (gl_WorkGroupSize.y > 1u) {
        for (uint j = 0u; j < CH; ++j) partial[(ty * CH + j) * gl_WorkGroupSize.x + tx] = sums[j];
        barrier();
        if (ty != 0u) return;
        for (uint y = 1u; y < gl_WorkGroupSize.y; ++y)
            for (uint j = 0u; j < CH; ++j) sums[j] += partial[(y * CH + j) * gl_WorkGroupSize.x + tx];
    }
    float scale = 1.0 / float(pc.pixels);
    for (uint j = 0u; j < CH; ++j) {
        uint col = colBase + tx + j * gl_WorkGroupSize.x;
        if (col < pc.c) outputs[b * pc.c + col] = sums[j] * scale;
    }
}
