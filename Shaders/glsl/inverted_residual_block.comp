#version 450
// One MobileNetV2 inverted-residual block in one dispatch: expand 1×1 (+bias, ReLU6) → depthwise K×K,
// stride 1 or 2, Keras padding (+bias, ReLU6) → project 1×1 (+bias) (+ the block input). Each work group
// owns a TILE_H×TILE_W tile of one image's output pixels and every output channel. It walks the expanded
// channels CHUNK at a time: (1) the expanded activations of the input tile and its depthwise halo go to
// shared memory (zero outside the image: Keras pads the depthwise input), (2) the depthwise outputs of
// the tile go to shared memory, (3) each invocation adds that chunk's share of the projection to its
// register tile of PX pixels × CO output channels. Only the block input and output touch device memory.
// Two barriers per chunk: the next chunk's expand overwrites `expanded` only after this chunk's
// depthwise read it (barrier 2), its depthwise overwrites `filtered` only after this chunk's
// projection read it (the next barrier 1).
// Without an expand layer (block 0) step (1) copies the block input (channels = expanded).
// Arithmetic: operands ARITH_T, accumulators ACC_T (float unless the launcher defines them); shared
// memory holds ARITH_T.
// storage: IN_T / LOAD_IN (block input, also the residual), OUT_T / STORE_OUT (output) defined by the
//          launcher from each tensor's StorageFormat; weights and biases float32
// specialization: constant_id 0 = WG_X, 1 = WG_Y (local size), 2 = TILE_H, 3 = TILE_W, 4 = CHUNK,
//                 5 = STRIDE, 6 = K, 7 = PX (pixels per invocation), 8 = CO (output channels per
//                 invocation); the launcher guarantees WG_Y·PX ≥ TILE_H·TILE_W and WG_X·CO ≥ cout
// bindings: 0 IN_T input[N×inH×inW×cin]  1 float expandWeights[cin×E]  2 float expandBias[E]
//           3 float depthwiseWeights[K][K][E]  4 float depthwiseBias[E]  5 float projectWeights[E×cout]
//           6 float projectBias[cout]  7 OUT_T output[N×outH×outW×cout]
//           (1 and 2 bound to any buffer without an expand layer)
// push constants (uint): inH, inW, outH, outW, cin, expanded (E), cout, padTop, padLeft,
//                        flags (1 expand, 2 residual, 4 expand ReLU6, 8 depthwise ReLU6, 16 project ReLU6)
// grid: (ceil(outW / TILE_W), ceil(outH / TILE_H), N)
#extension GL_EXT_shader_16bit_storage : require
#ifndef ARITH_T
#define ARITH_T float
#endif
#ifndef ACC_T
#define ACC_T float
#endif
layout(local_size_x_id = 0, local_size_y_id = 1) in;
layout(constant_id = 2) const uint TILE_H = 4;
layout(constant_id = 3) const uint TILE_W = 4;
layout(constant_id = 4) const uint CHUNK = 32;
layout(constant_id = 5) const uint STRIDE = 1;
layout(constant_id = 6) const uint K = 3;
layout(constant_id = 7) const uint PX = 1;
layout(constant_id = 8) const uint CO = 1;
const uint IN_TH = (TILE_H - 1u) * STRIDE + K;
const uint IN_TW = (TILE_W - 1u) * STRIDE + K;
const uint IN_PIXELS = IN_TH * IN_TW;
const uint TILE_PIXELS = TILE_H * TILE_W;
const uint THREADS = gl_WorkGroupSize.x * gl_WorkGroupSize.y;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer ExpandWeights { float expandWeights[]; };
layout(std430, binding = 2) readonly buffer ExpandBias { float expandBias[]; };
layout(std430, binding = 3) readonly buffer DepthwiseWeights { float depthwiseWeights[]; };
layout(std430, binding = 4) readonly buffer DepthwiseBias { float depthwiseBias[]; };
layout(std430, binding = 5) readonly buffer ProjectWeights { float projectWeights[]; };
layout(std430, binding = 6) readonly buffer ProjectBias { float projectBias[]; };
layout(std430, binding = 7) writeonly buffer Output { OUT_T outputs[]; };
layout(push_constant) uniform Push { uint inH, inW, outH, outW, cin, expanded, cout, padTop, padLeft, flags; } pc;

shared ARITH_T expanded[IN_PIXELS * CHUNK];   // [input tile pixel][chunk channel]
shared ARITH_T filtered[TILE_PIXELS * CHUNK]; // [output tile pixel][chunk channel]

float relu6If(float v, uint bit) { return (pc.flags & bit) != 0u ? clamp(v, 0.0, 6.0) : v; }

void main() {
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * gl_WorkGroupSize.x + tx;
    uint n = gl_WorkGroupID.z;
    uint oy0 = gl_WorkGroupID.y * TILE_H, ox0 = gl_WorkGroupID.x * TILE_W;
    int iy0 = int(oy0 * STRIDE) - int(pc.padTop), ix0 = int(ox0 * STRIDE) - int(pc.padLeft);
    uint imageBase = n * pc.inH * pc.inW;
    bool hasExpand = (pc.flags & 1u) != 0u;

    // Projection tile: pixels ty + i·WG_Y, channels tx + j·WG_X (neighbours read neighbouring weights);
    // clamped indices keep loads in bounds, the edge is not written.
    uint pixels[PX], cols[CO];
    for (uint i = 0u; i < PX; ++i) pixels[i] = min(ty + i * gl_WorkGroupSize.y, TILE_PIXELS - 1u);
    for (uint j = 0u; j < CO; ++j) cols[j] = min(tx + j * gl_WorkGroupSize.x, pc.cout - 1u);
    ACC_T acc[PX][CO];
    for (uint j = 0u; j < CO; ++j) {
        ACC_T b = ACC_T(projectBias[cols[j]]);
        for (uint i = 0u; i < PX; ++i) acc[i][j] = b;
    }

    for (uint e0 = 0u; e0 < pc.expanded; e0 += CHUNK) {
        uint count = min(CHUNK, pc.expanded - e0);
        // (1) Expanded activations of the input tile, 4 pixels × 4 channels per item (channel groups
        // fastest, so neighbours read neighbouring weights and the same input pixels).
        uint groupsC = (count + 3u) / 4u;
        uint items = (IN_PIXELS + 3u) / 4u * groupsC;
        for (uint it = tid; it < items; it += THREADS) {
            uint cg = it % groupsC, pg = it / groupsC;
            uint rows[4], ch[4];
            bool inside[4];
            for (uint ii = 0u; ii < 4u; ++ii) {
                uint q = pg * 4u + ii;
                int iy = iy0 + int(q / IN_TW), ix = ix0 + int(q % IN_TW);
                inside[ii] = q < IN_PIXELS && iy >= 0 && iy < int(pc.inH) && ix >= 0 && ix < int(pc.inW);
                rows[ii] = inside[ii] ? (imageBase + uint(iy) * pc.inW + uint(ix)) * pc.cin : 0u;
            }
            for (uint jj = 0u; jj < 4u; ++jj) ch[jj] = e0 + min(cg * 4u + jj, count - 1u);
            ACC_T v[4][4];
            for (uint ii = 0u; ii < 4u; ++ii)
                for (uint jj = 0u; jj < 4u; ++jj) v[ii][jj] = ACC_T(0.0);
            // Items wholly in the padding skip the expand (their activations are stored as 0).
            if (hasExpand && (inside[0] || inside[1] || inside[2] || inside[3])) {
                for (uint jj = 0u; jj < 4u; ++jj) {
                    ACC_T b = ACC_T(expandBias[ch[jj]]);
                    for (uint ii = 0u; ii < 4u; ++ii) v[ii][jj] = b;
                }
                for (uint k = 0u; k < pc.cin; ++k) {
                    ARITH_T a[4], w[4];
                    for (uint ii = 0u; ii < 4u; ++ii) a[ii] = ARITH_T(LOAD_IN(inputs[rows[ii] + k]));
                    for (uint jj = 0u; jj < 4u; ++jj) w[jj] = ARITH_T(expandWeights[k * pc.expanded + ch[jj]]);
                    for (uint ii = 0u; ii < 4u; ++ii)
                        for (uint jj = 0u; jj < 4u; ++jj) v[ii][jj] += ACC_T(a[ii] * w[jj]);
                }
            } else if (!hasExpand) {
                for (uint ii = 0u; ii < 4u; ++ii)
                    for (uint jj = 0u; jj < 4u; ++jj) v[ii][jj] = ACC_T(LOAD_IN(inputs[rows[ii] + ch[jj]]));
            }
            for (uint ii = 0u; ii < 4u; ++ii) {
                uint q = pg * 4u + ii;
                if (q >= IN_PIXELS) break;
                for (uint jj = 0u; jj < 4u && cg * 4u + jj < count; ++jj) {
                    float x = hasExpand ? relu6If(float(v[ii][jj]), 4u) : float(v[ii][jj]);
                    expanded[q * CHUNK + cg * 4u + jj] = ARITH_T(inside[ii] ? x : 0.0);
                }
            }
        }
        barrier();
        // (2) Depthwise outputs of the tile (tile pixels past the image edge are computed, never stored).
        for (uint it = tid; it < TILE_PIXELS * count; it += THREADS) {
            uint e = it % count, p = it / count;
            uint base = (p / TILE_W) * STRIDE * IN_TW + (p % TILE_W) * STRIDE;
            ACC_T s = ACC_T(depthwiseBias[e0 + e]);
            for (uint ky = 0u; ky < K; ++ky)
                for (uint kx = 0u; kx < K; ++kx)
                    s += ACC_T(expanded[(base + ky * IN_TW + kx) * CHUNK + e]
                               * ARITH_T(depthwiseWeights[(ky * K + kx) * pc.expanded + e0 + e]));
            filtered[p * CHUNK + e] = ARITH_T(relu6If(float(s), 8u));
        }
        barrier();
        // (3) This chunk's share of the projection.
        for (uint e = 0u; e < count; ++e) {
            ARITH_T a[PX], w[CO];
            for (uint i = 0u; i < PX; ++i) a[i] = filtered[pixels[i] * CHUNK + e];
            for (uint j = 0u; j < CO; ++j) w[j] = ARITH_T(projectWeights[(e0 + e) * pc.cout + cols[j]]);
            for (uint i = 0u; i < PX; ++i)
                for (uint j = 0u; j < CO; ++j) acc[i][j] += ACC_T(a[i] * w[j]);
        }
    }

    bool residual = (pc.flags & 2u) != 0u;
    for (uint i = 0u; i < PX; ++i) {
        uint p = ty + i * gl_WorkGroupSize.y;
        uint oy = oy0 + p / TILE_W, ox = ox0 + p % TILE_W;
        if (p >= TILE_PIXELS || oy >= pc.outH || ox >= pc.outW) continue;
        uint outBase = ((n * pc.outH + oy) * pc.outW + ox) * pc.cout;
        // A residual block has stride 1 and cin = cout, so its input pixel is the output pixel.
        uint inBase = (imageBase + oy * pc.inW + ox) * pc.cin;
        for (uint j = 0u; j < CO; ++j) {
            uint c = tx + j * gl_WorkGroupSize.x;
            if (c >= pc.cout) continue;
            float v = float(acc[i][j]);
            if (residual) v += LOAD_IN(inputs[inBase + c]);
            outputs[outBase + c] = STORE_OUT(relu6If(v, 16u));
        }
    }
}
