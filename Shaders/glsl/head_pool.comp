#version 450
// The head 1×1 convolution fused with the global average pool: for image b and output channel c,
//   output[b][c] = mean over p < P of act(bias[c] + Σ_k input[b][p][k] · weights[k][c]),
// act = ReLU6 when relu6 = 1, so the N×P×C head activation is never stored. Every invocation accumulates
// a PX×CH register tile (PX pixels × CH channels) over K, then bias and ReLU6 per pixel, and adds the
// valid pixels to its CH channel sums. Buffers are read directly (no shared tiles): each image's P×K
// input is reused from cache by every channel group, and a tile of PX×CH multiply-adds costs PX + CH loads.
// Two ways to add the partial sums of an image's pixel blocks (a compile-time variant, REDUCE_SUBGROUP):
//   shared memory (default, every device): invocation (tx, ty) owns CH channels of the work group's
//     TILE_C = WG_X·CH (tx + j·WG_X, strided so neighbours read adjacent weights) and walks pixel blocks
//     ty, ty + WG_Y, …; with WG_Y > 1 the WG_Y partial sums are added in shared memory after a barrier.
//   REDUCE_SUBGROUP (by default on GPUs with subgroup arithmetic in compute shaders): the work group covers
//     TILE_C = GROUPS·CH channels, GROUPS channel groups of CH adjacent channels; subgroup s takes groups
//     s, s + gl_NumSubgroups, … and its active lanes split the image's pixel blocks (lane l: blocks l,
//     l + lanes, …), then subgroupAdd sums each channel across the lanes: no shared memory, no barrier.
//     Nothing is assumed of the subgroup size or of how invocations map to subgroups: lane and lane
//     count come from subgroupExclusiveAdd / subgroupAdd over the active lanes (a partial last subgroup
//     has fewer), and the work group may hold fewer or more invocations than GROUPS subgroups.
// VEC4 (C a multiple of 4): the channel unit is a vec4 of adjacent channels: weights, bias, sums and output
//   are read and written as vec4 (ARITH_VEC4 / ACC_VEC4), CH and TILE_C count vec4s, and the input stays
//   scalar (one value per pixel and k, multiplied into a vec4 of weights): PX + CH loads per 4·PX·CH
//   multiply-adds.
// storage: IN_T / LOAD_IN (input) defined by the launcher from its StorageFormat (float32, float16, or
//          16-bit fixed point over [0, 6]); weights, bias and output float32
// arithmetic: operands and products in ARITH_T, the per-pixel sums, bias and ReLU6 in ACC_T (float
//          unless the launcher defines them; ARITH_FLOAT16 enables float16); the sums over pixels float

// specialization: constant_id 0 = WG_X, 1 = WG_Y (local size; REDUCE_SUBGROUP: WG_Y = 1), 2 = PX (pixels
//                 per block), 3 = CH (channel units per invocation: channels, or vec4s with VEC4),
//                 4 = GROUPS (REDUCE_SUBGROUP only)
// bindings: 0 IN_T input[N×P×K]  1 float weights[K×C]  2 float bias[C]  3 float output[N×C] (VEC4: vec4s)
// push constants (uint): n, pixels (P ≥ 1), k, c, relu6
// grid: (ceil(C / (TILE_C channels)), N, 1)
#extension GL_EXT_shader_16bit_storage : require
#ifdef ARITH_FLOAT16
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
#ifdef REDUCE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
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
layout(constant_id = 4) const uint GROUPS = 1;
#ifdef REDUCE_SUBGROUP
const uint TILE_C = GROUPS * CH;
#else
const uint TILE_C = gl_WorkGroupSize.x * CH;
#endif
#ifdef VEC4
#define W_T ARITH_VEC4  // a weight unit as multiplied
#define A_T ACC_VEC4    // a unit's per-pixel sum
#define S_T vec4        // a unit's sum over pixels
#define UNIT_CHANNELS 4u
#else
#define W_T ARITH_T
#define A_T ACC_T
#define S_T float
#define UNIT_CHANNELS 1u
#endif
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { S_T weights[]; };
layout(std430, binding = 2) readonly buffer Bias { S_T bias[]; };
layout(std430, binding = 3) writeonly buffer Output { S_T outputs[]; };
layout(push_constant) uniform Push { uint n, pixels, k, c, relu6; } pc;

#ifndef REDUCE_SUBGROUP
shared S_T partial[gl_WorkGroupSize.y * TILE_C];  // [ty][j][tx]
#endif

// Adds to sums[j] the ReLU6'd outputs of channel unit cols[j] over image b's pixel blocks first,
// first + step, … (block i starts at pixel i·PX). units: channel units per row (C / UNIT_CHANNELS).
void accumulate(uint b, uint cols[CH], uint units, uint first, uint step, inout S_T sums[CH]) {
    A_T bj[CH];
    for (uint j = 0u; j < CH; ++j) bj[j] = A_T(bias[cols[j]]);
    uint imageBase = b * pc.pixels;
    for (uint p0 = first * PX; p0 < pc.pixels; p0 += step * PX) {
        uint rows[PX];
        for (uint i = 0u; i < PX; ++i) rows[i] = (imageBase + min(p0 + i, pc.pixels - 1u)) * pc.k;
        A_T acc[PX][CH];
        for (uint i = 0u; i < PX; ++i)
            for (uint j = 0u; j < CH; ++j) acc[i][j] = bj[j];
        for (uint kk = 0u; kk < pc.k; ++kk) {
            ARITH_T a[PX];
            W_T w[CH];
            for (uint i = 0u; i < PX; ++i) a[i] = ARITH_T(LOAD_IN(inputs[rows[i] + kk]));
            for (uint j = 0u; j < CH; ++j) w[j] = W_T(weights[kk * units + cols[j]]);
            for (uint i = 0u; i < PX; ++i)
                for (uint j = 0u; j < CH; ++j) acc[i][j] += A_T(a[i] * w[j]);
        }
        uint valid = min(PX, pc.pixels - p0);
        for (uint i = 0u; i < valid; ++i) {
            for (uint j = 0u; j < CH; ++j) {
                A_T v = acc[i][j];
                if (pc.relu6 != 0u) v = clamp(v, ACC_T(0.0), ACC_T(6.0));
                sums[j] += S_T(v);
            }
        }
    }
}

void main() {
    uint b = gl_WorkGroupID.y, tileBase = gl_WorkGroupID.x * TILE_C;
    float scale = 1.0 / float(pc.pixels);
    uint units = pc.c / UNIT_CHANNELS;
    // Clamped indices keep every load in bounds; channel units past the edge are not written.
    uint cols[CH];
    S_T sums[CH];
#ifdef REDUCE_SUBGROUP
    uint lane = subgroupExclusiveAdd(1u), lanes = subgroupAdd(1u);
    for (uint g = gl_SubgroupID; g < GROUPS; g += gl_NumSubgroups) {  // uniform in the subgroup
        uint colBase = tileBase + g * CH;
        for (uint j = 0u; j < CH; ++j) {
            cols[j] = min(colBase + j, units - 1u);
            sums[j] = S_T(0.0);
        }
        accumulate(b, cols, units, lane, lanes, sums);
        for (uint j = 0u; j < CH; ++j) {
            S_T total = subgroupAdd(sums[j]);
            if (lane == 0u && colBase + j < units) outputs[b * units + colBase + j] = total * scale;
        }
    }
#else
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    for (uint j = 0u; j < CH; ++j) {
        cols[j] = min(tileBase + tx + j * gl_WorkGroupSize.x, units - 1u);
        sums[j] = S_T(0.0);
    }
    accumulate(b, cols, units, ty, gl_WorkGroupSize.y, sums);
    if (gl_WorkGroupSize.y > 1u) {
        for (uint j = 0u; j < CH; ++j) partial[(ty * CH + j) * gl_WorkGroupSize.x + tx] = sums[j];
        barrier();
        if (ty != 0u) return;
        for (uint y = 1u; y < gl_WorkGroupSize.y; ++y)
            for (uint j = 0u; j < CH; ++j) sums[j] += partial[(y * CH + j) * gl_WorkGroupSize.x + tx];
    }
    for (uint j = 0u; j < CH; ++j) {
        uint col = tileBase + tx + j * gl_WorkGroupSize.x;
        if (col < units) outputs[b * units + col] = sums[j] * scale;
    }
#endif
}
