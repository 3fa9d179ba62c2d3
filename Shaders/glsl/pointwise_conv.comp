#version 450
// 1×1 convolution as a GEMM: output[M×N] = input[M×K] · weights[K×N] + bias, then the optional
// residual[M×N] added, then optional ReLU6 (Keras order). M = pixels of the batch, K = input
// channels, N = output channels. Two variants, chosen by the launcher at compile time:
// - VEC4 = 1 (K and N multiples of 4: every layer of the real models, whose channels Keras rounds to
//   multiples of 8): every tensor read and written as vec4 along channels, buffers read directly, each
//   invocation accumulating an MR × (NV·4) register tile (rows ry + i·WG_Y, vec4 column groups
//   gx + j·WG_X). MR + 4·NV vec4 loads feed 16·MR·NV multiply-adds; on CPU drivers such as lavapipe,
//   where every load is a per-lane loop and arithmetic is SIMD, loads are what costs.
// - VEC4 = 0 (any shape): scalar loads, a 4×4 micro-tile per invocation, a (WG_Y·4)×(WG_X·4) tile per
//   work group; SHARED_TILES stages TILE_K-deep slices of both operands in shared memory (GPUs), else
//   invocations read the buffers directly (CPU drivers, where barriers are expensive).
// Arithmetic: operands and products in ARITH_T / ARITH_VEC4, sums, bias, residual and ReLU6 in ACC_T /
// ACC_VEC4 (float unless the launcher defines them; ARITH_FLOAT16 enables float16 arithmetic).
// specialization: constant_id 0 = WG_X, 1 = WG_Y (local size), 2 = TILE_K, 3 = SHARED_TILES (VEC4 = 0);
//                 4 = MR, 5 = NV (VEC4 = 1)
// storage: IN_T / LOAD_IN (input), OUT_T / LOAD_OUT / STORE_OUT (residual and output), and their _VEC4
//          forms, defined by the launcher from each tensor's StorageFormat
// bindings: 0 IN_T input[M×K]  1 float weights[K×N]  2 float bias[N]  3 OUT_T residual[M×N]
//           (bound to any buffer when hasResidual = 0)  4 OUT_T output[M×N]  (vec4 views when VEC4 = 1)
// push constants (uint): m, k, n, relu6, hasResidual
// grid: VEC4 = 0: (ceil(N / (WG_X·4)), ceil(M / (WG_Y·4)), 1);
//       VEC4 = 1: (ceil(N / (WG_X·NV·4)), ceil(M / (WG_Y·MR)), 1)
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
layout(constant_id = 2) const uint TILE_K = 16;
layout(constant_id = 3) const bool SHARED_TILES = true;
layout(constant_id = 4) const uint MR = 8;
layout(constant_id = 5) const uint NV = 2;
layout(push_constant) uniform Push { uint m, k, n, relu6, hasResidual; } pc;

#if VEC4
layout(std430, binding = 0) readonly buffer Input { IN_VEC4_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { vec4 weights[]; };
layout(std430, binding = 2) readonly buffer Bias { vec4 bias[]; };
layout(std430, binding = 3) readonly buffer Residual { OUT_VEC4_T residual[]; };
layout(std430, binding = 4) writeonly buffer Output { OUT_VEC4_T outputs[]; };

void main() {
    uint k4 = pc.k / 4u, n4 = pc.n / 4u;
    uint rowBase = gl_WorkGroupID.y * gl_WorkGroupSize.y * MR + gl_LocalInvocationID.y;
    uint groupBase = gl_WorkGroupID.x * gl_WorkGroupSize.x * NV + gl_LocalInvocationID.x;
    // Clamped indices keep every load in bounds; rows and groups past the edge are not written.
    uint rows[MR], groups[NV];
    for (uint i = 0u; i < MR; ++i) rows[i] = min(rowBase + i * gl_WorkGroupSize.y, pc.m - 1u) * k4;
    for (uint j = 0u; j < NV; ++j) groups[j] = min(groupBase + j * gl_WorkGroupSize.x, n4 - 1u);
    ACC_VEC4 acc[MR][NV];
    for (uint j = 0u; j < NV; ++j) {
        ACC_VEC4 b = ACC_VEC4(bias[groups[j]]);
        for (uint i = 0u; i < MR; ++i) acc[i][j] = b;
    }
    for (uint kq = 0u; kq < k4; ++kq) {
        ARITH_VEC4 a[MR];
        for (uint i = 0u; i < MR; ++i) a[i] = ARITH_VEC4(LOAD_IN_VEC4(inputs[rows[i] + kq]));
        for (uint kk = 0u; kk < 4u; ++kk) {
            ARITH_VEC4 w[NV];
            for (uint j = 0u; j < NV; ++j) w[j] = ARITH_VEC4(weights[(kq * 4u + kk) * n4 + groups[j]]);
            for (uint i = 0u; i < MR; ++i)
                for (uint j = 0u; j < NV; ++j) acc[i][j] += ACC_VEC4(a[i][kk] * w[j]);
        }
    }
    for (uint i = 0u; i < MR; ++i) {
        uint row = rowBase + i * gl_WorkGroupSize.y;
        if (row >= pc.m) continue;
        for (uint j = 0u; j < NV; ++j) {
            uint g = groupBase + j * gl_WorkGroupSize.x;
            if (g >= n4) continue;
            ACC_VEC4 v = acc[i][j];
            if (pc.hasResidual != 0u) v += ACC_VEC4(LOAD_OUT_VEC4(residual[row * n4 + g]));
            if (pc.relu6 != 0u) v = clamp(v, ACC_VEC4(0.0), ACC_VEC4(6.0));
            outputs[row * n4 + g] = STORE_OUT_VEC4(vec4(v));
        }
    }
}
#else
const uint TILE_N = gl_WorkGroupSize.x * 4u;
const uint TILE_M = gl_WorkGroupSize.y * 4u;
const uint THREADS = gl_WorkGroupSize.x * gl_WorkGroupSize.y;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) readonly buffer Residual { OUT_T residual[]; };
layout(std430, binding = 4) writeonly buffer Output { OUT_T outputs[]; };

shared ARITH_T tileA[TILE_K * TILE_M];  // [kk][row]
shared ARITH_T tileB[TILE_K * TILE_N];  // [kk][col]

void main() {
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * gl_WorkGroupSize.x + tx;
    uint rowBase = gl_WorkGroupID.y * TILE_M, colBase = gl_WorkGroupID.x * TILE_N;
    // Rows ty + i·WG_Y and columns tx + j·WG_X: strided so shared-memory reads do not collide.
    ACC_T acc[4][4];
    for (uint j = 0u; j < 4u; ++j) {
        uint col = colBase + tx + j * gl_WorkGroupSize.x;
        ACC_T b = col < pc.n ? ACC_T(bias[col]) : ACC_T(0.0);
        for (uint i = 0u; i < 4u; ++i) acc[i][j] = b;
    }
    if (SHARED_TILES) {
        for (uint k0 = 0u; k0 < pc.k; k0 += TILE_K) {
            for (uint e = tid; e < TILE_K * TILE_M; e += THREADS) {
                uint kk = e % TILE_K, r = e / TILE_K;
                uint row = rowBase + r, kIndex = k0 + kk;
                tileA[kk * TILE_M + r] = ARITH_T((row < pc.m && kIndex < pc.k) ? LOAD_IN(inputs[row * pc.k + kIndex]) : 0.0);
            }
            for (uint e = tid; e < TILE_K * TILE_N; e += THREADS) {
                uint c = e % TILE_N, kk = e / TILE_N;
                uint col = colBase + c, kIndex = k0 + kk;
                tileB[kk * TILE_N + c] = ARITH_T((col < pc.n && kIndex < pc.k) ? weights[kIndex * pc.n + col] : 0.0);
            }
            barrier();
            uint depth = min(TILE_K, pc.k - k0);
            for (uint kk = 0u; kk < depth; ++kk) {
                ARITH_T a[4], b[4];
                for (uint i = 0u; i < 4u; ++i) a[i] = tileA[kk * TILE_M + ty + i * gl_WorkGroupSize.y];
                for (uint j = 0u; j < 4u; ++j) b[j] = tileB[kk * TILE_N + tx + j * gl_WorkGroupSize.x];
                for (uint i = 0u; i < 4u; ++i)
                    for (uint j = 0u; j < 4u; ++j) acc[i][j] += ACC_T(a[i] * b[j]);
            }
            barrier();
        }
    } else {
        // Clamped indices keep every load in bounds; rows and columns past the edge are not written.
        uint rows[4], cols[4];
        for (uint i = 0u; i < 4u; ++i) rows[i] = min(rowBase + ty + i * gl_WorkGroupSize.y, pc.m - 1u) * pc.k;
        for (uint j = 0u; j < 4u; ++j) cols[j] = min(colBase + tx + j * gl_WorkGroupSize.x, pc.n - 1u);
        for (uint kk = 0u; kk < pc.k; ++kk) {
            ARITH_T a[4], b[4];
            for (uint i = 0u; i < 4u; ++i) a[i] = ARITH_T(LOAD_IN(inputs[rows[i] + kk]));
            for (uint j = 0u; j < 4u; ++j) b[j] = ARITH_T(weights[kk * pc.n + cols[j]]);
            for (uint i = 0u; i < 4u; ++i)
                for (uint j = 0u; j < 4u; ++j) acc[i][j] += ACC_T(a[i] * b[j]);
        }
    }
    for (uint i = 0u; i < 4u; ++i) {
        uint row = rowBase + ty + i * gl_WorkGroupSize.y;
        if (row >= pc.m) continue;
        for (uint j = 0u; j < 4u; ++j) {
            uint col = colBase + tx + j * gl_WorkGroupSize.x;
            if (col >= pc.n) continue;
            ACC_T v = acc[i][j];
            if (pc.hasResidual != 0u) v += ACC_T(LOAD_OUT(residual[row * pc.n + col]));
            if (pc.relu6 != 0u) v = clamp(v, ACC_T(0.0), ACC_T(6.0));
            outputs[row * pc.n + col] = STORE_OUT(float(v));
        }
    }
}
#endif
