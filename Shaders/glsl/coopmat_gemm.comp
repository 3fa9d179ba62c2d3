#version 450
// 1×1 convolution as a GEMM on cooperative matrices (tensor cores, GL_NV_cooperative_matrix):
//   C[M×N] = A[M×K] · B[K×N], A = activations (M = pixels, K = input channels), B = weights (N = output
//   channels), float16 operands, float32 accumulators. Two epilogues:
//   POOL = false: out = act(C + bias (+ residual)) per element, as pointwise_conv.comp;
//   POOL = true:  the head fused with the global average pool, as head_pool.comp: work group (x, b) walks
//                 image b's P pixels TILE_M at a time and writes mean_p act(C + bias) for its TILE_N channels.
// act = ReLU6 when relu6 = 1 (after the residual, Keras order).
// SPLIT: each float32 operand x is carried as two float16s, hi = f16(x) and lo = f16((x − hi) · 2^11),
// and C = Σ hi·hi + 2^-11 · Σ (hi·lo + lo·hi) in two float32 accumulators: about 22 significant bits
// per operand (float32-like; the dropped lo·lo term is 2^-22 of the product), three MMAs per tile.
// Without SPLIT one MMA on f16(x): 11 bits per operand. Scaling lo by 2^11 keeps it a normal float16
// wherever hi is, so small weights keep their precision; |x| must stay below float16's 65504.
// The weights are split once, at upload (CoopMatGEMM.PackedWeights, rounding to nearest even): hi and lo
// as float16 [KP][NP] each, K padded with zero rows to KP = a multiple of CK and N with zero columns to
// NP = a multiple of max(CN, 8) (so every matrix row starts 16-byte aligned), and each subgroup loads its
// B matrices straight from that buffer (cache-served; no shared-memory staging, no per-group conversion).
// The activations change every batch: they are split here, per work group, into shared memory.
// Work group: SG_M × SG_N subgroups, each owning TM × TN (2 × 2) matrices of CM × CN, so a work-group
// tile of TILE_M = SG_M·TM·CM rows by TILE_N = SG_N·TN·CN columns; A is staged KT·CK deep in shared
// memory as float16 (edges zero-filled, so any M and K work; B's padding is zero), the C tile stored to
// shared memory for the epilogue. Subgroup i takes tile row i / SG_N, column i % SG_N (the launcher sizes the work group as
// SG_M·SG_N subgroups of the device's subgroup size; extra subgroups only help stage).
// storage: IN_T / LOAD_IN (input), OUT_T / LOAD_OUT / STORE_OUT (residual and output; float32 when POOL)
//          defined by the launcher from each tensor's StorageFormat; bias float32; weights float16 hi/lo
// specialization: constant_id 0 = local size x (invocations), 1 = CM, 2 = CN, 3 = CK (a shape the device
//                 lists for float16 × float16 + float32), 4 = SG_M, 5 = SG_N, 6 = KT, 7 = SPLIT, 8 = POOL
// bindings: 0 IN_T input[M×K]  1 float16_t weights[2×KP×NP] (hi, then lo)  2 float bias[N]  3 OUT_T residual[M×N] (bound to any
//           buffer when hasResidual = 0)  4 OUT_T output[M×N] (POOL: float output[images×N])
// push constants (uint): m (rows; POOL: images · pixels), k, n, relu6, hasResidual, pixels (POOL: P ≥ 1)
// grid: (ceil(N / TILE_N), POOL ? images : ceil(M / TILE_M), 1)
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_NV_cooperative_matrix : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint CM = 16;
layout(constant_id = 2) const uint CN = 16;
layout(constant_id = 3) const uint CK = 16;
layout(constant_id = 4) const uint SG_M = 2;
layout(constant_id = 5) const uint SG_N = 2;
layout(constant_id = 6) const uint KT = 2;
layout(constant_id = 7) const bool SPLIT = true;
layout(constant_id = 8) const bool POOL = false;
const uint TM = 2u, TN = 2u;
const uint TILE_M = SG_M * TM * CM, TILE_N = SG_N * TN * CN, TILE_K = KT * CK;
const uint THREADS = gl_WorkGroupSize.x;
const float LO_SCALE = 2048.0;
const uint N_ALIGN = CN < 8u ? 8u : CN;  // the packed weights' column padding (CoopMatGEMM.PackedWeights)
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { float16_t weights[]; };  // [hi, lo][KP][NP]
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) readonly buffer Residual { OUT_T residual[]; };
layout(std430, binding = 4) writeonly buffer Output { OUT_T outputs[]; };
layout(push_constant) uniform Push { uint m, k, n, relu6, hasResidual, pixels; } pc;

shared float16_t aHi[TILE_M * TILE_K], aLo[TILE_M * TILE_K];  // [row][kk]
shared float tileC[TILE_M * TILE_N];                           // [row][col]
shared float columnSums[TILE_N];                               // POOL only

#define ACC_MAT fcoopmatNV<32, gl_ScopeSubgroup, CM, CN>
#define A_MAT fcoopmatNV<16, gl_ScopeSubgroup, CM, CK>
#define B_MAT fcoopmatNV<16, gl_ScopeSubgroup, CK, CN>

float act(float v) { return pc.relu6 != 0u ? clamp(v, 0.0, 6.0) : v; }

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint colBase = gl_WorkGroupID.x * TILE_N;
    uint sg = gl_SubgroupID;
    bool computes = sg < SG_M * SG_N;
    uint sgRow = (sg / SG_N) * TM * CM, sgCol = (sg % SG_N) * TN * CN;
    // Rows [first, end) of this work group: one tile, or all of image b's pixels when pooling.
    uint kp = (pc.k + CK - 1u) / CK * CK, np = (pc.n + N_ALIGN - 1u) / N_ALIGN * N_ALIGN;
    uint first = POOL ? gl_WorkGroupID.y * pc.pixels : gl_WorkGroupID.y * TILE_M;
    uint end = POOL ? first + pc.pixels : min(first + TILE_M, pc.m);
    if (POOL) {
        for (uint c = tid; c < TILE_N; c += THREADS) columnSums[c] = 0.0;
    }
    for (uint rowBase = first; rowBase < end; rowBase += TILE_M) {
        ACC_MAT acc[TM][TN], cross[TM][TN];
        for (uint i = 0u; i < TM; ++i)
            for (uint j = 0u; j < TN; ++j) { acc[i][j] = ACC_MAT(0.0); cross[i][j] = ACC_MAT(0.0); }
        for (uint k0 = 0u; k0 < pc.k; k0 += TILE_K) {
            for (uint e = tid; e < TILE_M * TILE_K; e += THREADS) {
                uint r = e / TILE_K, kk = e % TILE_K, row = rowBase + r, kIndex = k0 + kk;
                float x = (row < end && kIndex < pc.k) ? LOAD_IN(inputs[row * pc.k + kIndex]) : 0.0;
                float16_t hi = float16_t(x);
                aHi[e] = hi;
                if (SPLIT) aLo[e] = float16_t((x - float(hi)) * LO_SCALE);
            }
            barrier();
            if (computes) {
                for (uint kt = 0u; kt < KT; ++kt) {
                    uint kBase = k0 + kt * CK;
                    if (kBase >= pc.k) break;  // uniform; kBase < k means rows kBase … kBase + CK − 1 < KP
                    B_MAT bh[TN], bl[TN];
                    for (uint j = 0u; j < TN; ++j) {
                        uint col = colBase + sgCol + j * CN;
                        // Columns at or past NP hold no weights: a zero matrix (never stored past N).
                        if (col >= np) { bh[j] = B_MAT(0.0); bl[j] = B_MAT(0.0); continue; }
                        uint offset = kBase * np + col;
                        coopMatLoadNV(bh[j], weights, offset, np, false);
                        if (SPLIT) coopMatLoadNV(bl[j], weights, kp * np + offset, np, false);
                    }
                    for (uint i = 0u; i < TM; ++i) {
                        uint offset = (sgRow + i * CM) * TILE_K + kt * CK;
                        A_MAT ah, al;
                        coopMatLoadNV(ah, aHi, offset, TILE_K, false);
                        if (SPLIT) coopMatLoadNV(al, aLo, offset, TILE_K, false);
                        for (uint j = 0u; j < TN; ++j) {
                            acc[i][j] = coopMatMulAddNV(ah, bh[j], acc[i][j]);
                            if (SPLIT) {
                                cross[i][j] = coopMatMulAddNV(ah, bl[j], cross[i][j]);
                                cross[i][j] = coopMatMulAddNV(al, bh[j], cross[i][j]);
                            }
                        }
                    }
                }
            }
            barrier();
        }
        if (computes) {
            for (uint i = 0u; i < TM; ++i)
                for (uint j = 0u; j < TN; ++j) {
                    ACC_MAT c = SPLIT ? acc[i][j] + cross[i][j] * (1.0 / LO_SCALE) : acc[i][j];
                    coopMatStoreNV(c, tileC, (sgRow + i * CM) * TILE_N + sgCol + j * CN, TILE_N, false);
                }
        }
        barrier();
        if (POOL) {
            uint rows = min(TILE_M, end - rowBase);
            for (uint c = tid; c < TILE_N; c += THREADS) {
                uint col = min(colBase + c, pc.n - 1u);
                float b = bias[col], sum = 0.0;
                for (uint r = 0u; r < rows; ++r) sum += act(tileC[r * TILE_N + c] + b);
                columnSums[c] += sum;
            }
        } else {
            for (uint e = tid; e < TILE_M * TILE_N; e += THREADS) {
                uint r = e / TILE_N, c = e % TILE_N, row = rowBase + r, col = colBase + c;
                if (row >= end || col >= pc.n) continue;
                float v = tileC[e] + bias[col];
                if (pc.hasResidual != 0u) v += LOAD_OUT(residual[row * pc.n + col]);
                outputs[row * pc.n + col] = STORE_OUT(act(v));
            }
        }
        // The next tile's staging and C store reuse the shared tiles this epilogue read.
        barrier();
    }
    if (POOL) {
        float scale = 1.0 / float(pc.pixels);
        for (uint c = tid; c < TILE_N; c += THREADS) {
            uint col = colBase + c;
            if (col < pc.n) outputs[gl_WorkGroupID.y * pc.n + col] = STORE_OUT(columnSums[c] * scale);
        }
    }
}
