#version 450
// Depthwise KxK convolution (stride 1 or 2) with Keras padding, fused bias and optional ReLU6.
// Two variants, chosen by the launcher at compile time:
// - VEC4 = 1 (channels a multiple of 4): invocation x is a vec4 channel group, and each invocation
//   computes OX adjacent output columns: per kernel row it loads the (OX-1)·STRIDE + K input vec4s its
//   columns share and the K weight vec4s once, so a tap costs far fewer loads than one per
//   multiply-add (what costs on CPU drivers; on GPUs, 128-bit loads coalesced across channel groups).
// - VEC4 = 0 (any channel count): one invocation per output element, x the channel.
// K (and STRIDE, OX in the vec4 variant) are specialization constants so the taps unroll, and the grid
// carries the pixel coordinates, so no invocation divides.
// Arithmetic: operands and products in ARITH_T / ARITH_VEC4, sums, bias and ReLU6 in ACC_T / ACC_VEC4
// (float unless the launcher defines them; ARITH_FLOAT16 enables float16 arithmetic).
// specialization: constant_id 0 = local size x, 1 = K, 2 = STRIDE (VEC4 = 1), 3 = OX (VEC4 = 1)
// storage: IN_T / LOAD_IN (input), OUT_T / STORE_OUT (output), and their _VEC4 forms, defined by the
//          launcher from each tensor's StorageFormat (float32, float16, or 16-bit fixed point over [0, 6])
// bindings: 0 IN_T input[N×inH×inW×C]  1 float weights[K][K][C]  2 float bias[C]
//           3 OUT_T output[N×outH×outW×C]  (vec4 views when VEC4 = 1)
// push constants (uint): inH, inW, outH, outW, channels, stride, padTop, padLeft, relu6
// grid: VEC4 = 0: (ceil(C / local x), outW, N × outH); invocation (c, ox, n × outH + oy)
//       VEC4 = 1: (ceil(C/4 / local x), ceil(outW / OX), N × outH); invocation (c/4, ox/OX, n × outH + oy)
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
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint K = 3;
layout(constant_id = 2) const uint STRIDE = 1;
layout(constant_id = 3) const uint OX = 4;
layout(push_constant) uniform Push { uint inH, inW, outH, outW, channels, stride, padTop, padLeft, relu6; } pc;

#if VEC4
const uint SPAN = (OX - 1u) * STRIDE + K;
layout(std430, binding = 0) readonly buffer Input { IN_VEC4_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { vec4 weights[]; };
layout(std430, binding = 2) readonly buffer Bias { vec4 bias[]; };
layout(std430, binding = 3) writeonly buffer Output { OUT_VEC4_T outputs[]; };

void main() {
    uint c4 = pc.channels / 4u;
    uint g = gl_GlobalInvocationID.x, ox0 = gl_GlobalInvocationID.y * OX;
    if (g >= c4) return;
    uint b = gl_WorkGroupID.z / pc.outH, oy = gl_WorkGroupID.z % pc.outH;
    ACC_VEC4 acc[OX];
    ACC_VEC4 b0 = ACC_VEC4(bias[g]);
    for (uint o = 0u; o < OX; ++o) acc[o] = b0;
    int ix0 = int(ox0 * STRIDE) - int(pc.padLeft);
    for (uint ky = 0u; ky < K; ++ky) {
        int iy = int(oy * STRIDE + ky) - int(pc.padTop);
        if (iy < 0 || iy >= int(pc.inH)) continue;
        uint rowBase = (b * pc.inH + uint(iy)) * pc.inW;
        ARITH_VEC4 x[SPAN];
        for (uint s = 0u; s < SPAN; ++s) {
            int ix = ix0 + int(s);
            x[s] = (ix >= 0 && ix < int(pc.inW)) ? ARITH_VEC4(LOAD_IN_VEC4(inputs[(rowBase + uint(ix)) * c4 + g])) : ARITH_VEC4(0.0);
        }
        for (uint kx = 0u; kx < K; ++kx) {
            ARITH_VEC4 w = ARITH_VEC4(weights[(ky * K + kx) * c4 + g]);
            for (uint o = 0u; o < OX; ++o) acc[o] += ACC_VEC4(x[o * STRIDE + kx] * w);
        }
    }
    uint outBase = (b * pc.outH + oy) * pc.outW;
    for (uint o = 0u; o < OX; ++o) {
        if (ox0 + o >= pc.outW) break;
        ACC_VEC4 v = acc[o];
        if (pc.relu6 != 0u) v = clamp(v, ACC_VEC4(0.0), ACC_VEC4(6.0));
        outputs[(outBase + ox0 + o) * c4 + g] = STORE_OUT_VEC4(vec4(v));
    }
}
#else
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { OUT_T outputs[]; };

void main() {
    uint c = gl_GlobalInvocationID.x, ox = gl_GlobalInvocationID.y;
    if (c >= pc.channels) return;
    uint b = gl_WorkGroupID.z / pc.outH, oy = gl_WorkGroupID.z % pc.outH;
    ACC_T acc = ACC_T(bias[c]);
    for (uint ky = 0u; ky < K; ++ky) {
        int iy = int(oy * pc.stride + ky) - int(pc.padTop);
        if (iy < 0 || iy >= int(pc.inH)) continue;
        uint rowBase = (b * pc.inH + uint(iy)) * pc.inW;
        for (uint kx = 0u; kx < K; ++kx) {
            int ix = int(ox * pc.stride + kx) - int(pc.padLeft);
            if (ix < 0 || ix >= int(pc.inW)) continue;
            acc += ACC_T(ARITH_T(LOAD_IN(inputs[(rowBase + uint(ix)) * pc.channels + c])) * ARITH_T(weights[(ky * K + kx) * pc.channels + c]));
        }
    }
    if (pc.relu6 != 0u) acc = clamp(acc, ACC_T(0.0), ACC_T(6.0));
    outputs[((b * pc.outH + oy) * pc.outW + ox) * pc.channels + c] = STORE_OUT(float(acc));
}
#endif
