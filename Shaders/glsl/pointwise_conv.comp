#version 450
// 1×1 convolution as a tiled GEMM: output[M×N] = input[M×K] · weights[K×N] + bias, then the optional
// residual[M×N] added, then optional ReLU6 (Keras order). M = pixels of the batch, K = input
// channels, N = output channels. Each workgroup computes a (WG_Y·4)×(WG_X·4) tile, staging TILE_K-deep
// slices of both operands in shared memory; each invocation accumulates a 4×4 micro-tile.
// With SHARED_TILES off (CPU drivers such as lavapipe, where barriers are expensive and "shared"
// memory is ordinary cache), invocations read their operands straight from the buffers instead.
// specialization: constant_id 0 = WG_X, 1 = WG_Y (local size), 2 = TILE_K, 3 = SHARED_TILES
// storage: IN_T / LOAD_IN (input), OUT_T / LOAD_OUT / STORE_OUT (residual and output) defined by the
//          launcher from each tensor's StorageFormat (float32, float16, or 16-bit fixed point over [0, 6]);
//          arithmetic in float32
// bindings: 0 IN_T input[M×K]  1 float weights[K×N]  2 float bias[N]  3 OUT_T residual[M×N]
//           (bound to any buffer when hasResidual = 0)  4 OUT_T output[M×N]
// push constants (uint): m, k, n, relu6, hasResidual
// grid: (ceil(N / (WG_X·4)), ceil(M / (WG_Y·4)), 1)
#extension GL_EXT_shader_16bit_storage : require
layout(local_size_x_id = 0, local_size_y_id = 1) in;
layout(constant_id = 2) const uint TILE_K = 16;
layout(constant_id = 3) const bool SHARED_TILES = true;
const uint TILE_N = gl_WorkGroupSize.x * 4u;
const uint TILE_M = gl_WorkGroupSize.y * 4u;
const uint THREADS = gl_WorkGroupSize.x * gl_WorkGroupSize.y;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) readonly buffer Residual { OUT_T residual[]; };
layout(std430, binding = 4) writeonly buffer Output { OUT_T outputs[]; };
layout(push_constant) uniform Push { uint m, k, n, relu6, hasResidual; } pc;

shared float tileA[TILE_K * TILE_M];  // [kk][row]
shared float tileB[TILE_K * TILE_N];  // [kk][col]

void main() {
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * gl_WorkGroupSize.x + tx;
    uint rowBase = gl_WorkGroupID.y * TILE_M, colBase = gl_WorkGroupID.x * TILE_N;
    // Rows ty + i·WG_Y and columns tx + j·WG_X: strided so shared-memory reads do not collide.
    float acc[4][4];
    for (uint j = 0u; j < 4u; ++j) {
        uint col = colBase + tx + j * gl_WorkGroupSize.x;
        float b = col < pc.n ? bias[col] : 0.0;
        for (uint i = 0u; i < 4u; ++i) acc[i][j] = b;
    }
    if (SHARED_TILES) {
        for (uint k0 = 0u; k0 < pc.k; k0 += TILE_K) {
            for (uint e = tid; e < TILE_K * TILE_M; e += THREADS) {
                uint kk = e % TILE_K, r = e / TILE_K;
                uint row = rowBase + r, kIndex = k0 + kk;
                tileA[kk * TILE_M + r] = (row < pc.m && kIndex < pc.k) ? LOAD_IN(inputs[row * pc.k + kIndex]) : 0.0;
            }
            for (uint e = tid; e < TILE_K * TILE_N; e += THREADS) {
                uint c = e % TILE_N, kk = e / TILE_N;
                uint col = colBase + c, kIndex = k0 + kk;
                tileB[kk * TILE_N + c] = (col < pc.n && kIndex < pc.k) ? float(weights[kIndex * pc.n + col]) : 0.0;
            }
            barrier();
            uint depth = min(TILE_K, pc.k - k0);
            for (uint kk = 0u; kk < depth; ++kk) {
                float a[4], b[4];
                for (uint i = 0u; i < 4u; ++i) a[i] = tileA[kk * TILE_M + ty + i * gl_WorkGroupSize.y];
                for (uint j = 0u; j < 4u; ++j) b[j] = tileB[kk * TILE_N + tx + j * gl_WorkGroupSize.x];
                for (uint i = 0u; i < 4u; ++i)
                    for (uint j = 0u; j < 4u; ++j) acc[i][j] += a[i] * b[j];
            }
            barrier();
        }
    } else {
        // Clamped indices keep every load in bounds; rows and columns past the edge are not written.
        uint rows[4], cols[4];
        for (uint i = 0u; i < 4u; ++i) rows[i] = min(rowBase + ty + i * gl_WorkGroupSize.y, pc.m - 1u) * pc.k;
        for (uint j = 0u; j < 4u; ++j) cols[j] = min(colBase + tx + j * gl_WorkGroupSize.x, pc.n - 1u);
        for (uint kk = 0u; kk < pc.k; ++kk) {
            float a[4], b[4];
            for (uint i = 0u; i < 4u; ++i) a[i] = LOAD_IN(inputs[rows[i] + kk]);
            for (uint j = 0u; j < 4u; ++j) b[j] = weights[kk * pc.n + cols[j]];
            for (uint i = 0u; i < 4u; ++i)
                for (uint j = 0u; j < 4u; ++j) acc[i][j] += a[i] * b[j];
        }
    }
    for (uint i = 0u; i < 4u; ++i) {
        uint row = rowBase + ty + i * gl_WorkGroupSize.y;
        if (row >= pc.m) continue;
        for (uint j = 0u; j < 4u; ++j) {
            uint col = colBase + tx + j * gl_WorkGroupSize.x;
            if (col >= pc.n) continue;
            float v = acc[i][j];
            if (pc.hasResidual != 0u) v += LOAD_OUT(residual[row * pc.n + col]);
            if (pc.relu6 != 0u) v = clamp(v, 0.0, 6.0);
            outputs[row * pc.n + col] = STORE_OUT(v);
        }
    }
}
