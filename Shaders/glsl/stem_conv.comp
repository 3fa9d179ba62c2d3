#version 450
// Full (dense) KxK convolution with Keras padding, fused bias and optional ReLU6: MobileNetV2's stem.
// Two variants, chosen by the launcher at compile time:
// - VEC4 = 1 (output channels a multiple of 4): invocation x is a vec4 group of output channels, and
//   each invocation computes OX adjacent output columns, loading per kernel row the (OX-1)·STRIDE + K
//   input pixels its columns share (CIN scalars each) and the K·CIN weight vec4s once.
// - VEC4 = 0 (any channel count): one invocation per output element, x the output channel, so
//   neighbours read the same input pixel and adjacent weights.
// K, CIN (and STRIDE, OX in the vec4 variant) are specialization constants so the loops unroll, and the
// grid carries the pixel coordinates, so no invocation divides.
// Arithmetic: operands and products in ARITH_T / ARITH_VEC4, sums, bias and ReLU6 in ACC_T / ACC_VEC4
// (float unless the launcher defines them; ARITH_FLOAT16 enables float16 arithmetic).
// specialization: constant_id 0 = local size x, 1 = K, 2 = CIN, 3 = STRIDE (VEC4 = 1), 4 = OX (VEC4 = 1)
// storage: IN_T / LOAD_IN (input), OUT_T / STORE_OUT (output), and STORE_OUT_VEC4, defined by the
//          launcher from each tensor's StorageFormat (float32, float16, or 16-bit fixed point over [0, 6])
// bindings: 0 IN_T input[N×inH×inW×CIN]  1 float weights[K][K][CIN][cout]  2 float bias[cout]
//           3 OUT_T output[N×outH×outW×cout]  (weights, bias and output as vec4 when VEC4 = 1)
// push constants (uint): inH, inW, outH, outW, cout, stride, padTop, padLeft, relu6
// grid: VEC4 = 0: (ceil(cout / local x), outW, N × outH); invocation (co, ox, n × outH + oy)
//       VEC4 = 1: (ceil(cout/4 / local x), ceil(outW / OX), N × outH)
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
layout(constant_id = 2) const uint CIN = 3;
layout(constant_id = 3) const uint STRIDE = 2;
layout(constant_id = 4) const uint OX = 4;
layout(push_constant) uniform Push { uint inH, inW, outH, outW, cout, stride, padTop, padLeft, relu6; } pc;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };

#if VEC4
const uint SPAN = (OX - 1u) * STRIDE + K;
layout(std430, binding = 1) readonly buffer Weights { vec4 weights[]; };
layout(std430, binding = 2) readonly buffer Bias { vec4 bias[]; };
layout(std430, binding = 3) writeonly buffer Output { OUT_VEC4_T outputs[]; };

void main() {
    uint c4 = pc.cout / 4u;
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
        ARITH_T x[SPAN][CIN];
        for (uint s = 0u; s < SPAN; ++s) {
            int ix = ix0 + int(s);
            bool inside = ix >= 0 && ix < int(pc.inW);
            uint base = (rowBase + uint(max(ix, 0))) * CIN;
            for (uint ci = 0u; ci < CIN; ++ci) x[s][ci] = inside ? ARITH_T(LOAD_IN(inputs[base + ci])) : ARITH_T(0.0);
        }
        for (uint kx = 0u; kx < K; ++kx) {
            for (uint ci = 0u; ci < CIN; ++ci) {
                ARITH_VEC4 w = ARITH_VEC4(weights[((ky * K + kx) * CIN + ci) * c4 + g]);
                for (uint o = 0u; o < OX; ++o) acc[o] += ACC_VEC4(x[o * STRIDE + kx][ci] * w);
            }
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
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { OUT_T outputs[]; };

void main() {
    uint co = gl_GlobalInvocationID.x, ox = gl_GlobalInvocationID.y;
    if (co >= pc.cout) return;
    uint b = gl_WorkGroupID.z / pc.outH, oy = gl_WorkGroupID.z % pc.outH;
    ACC_T acc = ACC_T(bias[co]);
    for (uint ky = 0u; ky < K; ++ky) {
        int iy = int(oy * pc.stride + ky) - int(pc.padTop);
        if (iy < 0 || iy >= int(pc.inH)) continue;
        for (uint kx = 0u; kx < K; ++kx) {
            int ix = int(ox * pc.stride + kx) - int(pc.padLeft);
            if (ix < 0 || ix >= int(pc.inW)) continue;
            uint inBase = ((b * pc.inH + uint(iy)) * pc.inW + uint(ix)) * CIN;
            uint wBase = (ky * K + kx) * CIN * pc.cout + co;
            for (uint ci = 0u; ci < CIN; ++ci) {
                acc += ACC_T(ARITH_T(LOAD_IN(inputs[inBase + ci])) * ARITH_T(weights[wBase + ci * pc.cout]));
            }
        }
    }
    if (pc.relu6 != 0u) acc = clamp(acc, ACC_T(0.0), ACC_T(6.0));
    outputs[((b * pc.outH + oy) * pc.outW + ox) * pc.cout + co] = STORE_OUT(float(acc));
}
#endif
