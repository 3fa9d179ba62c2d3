#version 450
// Depthwise KxK convolution (stride 1 or 2) with Keras padding, fused bias and optional ReLU6.
// One invocation per output element, channels innermost (adjacent invocations read adjacent memory).
// bindings: 0 ACT_T input[N×inH×inW×C]  1 float weights[k][k][C]  2 float bias[C]
//           3 ACT_T output[N×outH×outW×C]
// push constants (uint): n, inH, inW, outH, outW, channels, k, stride, padTop, padLeft, relu6
// grid: flat: ceil(total / 256) workgroups of 256 laid out as (gx, gy, 1) with gx ≤ 65535;
//       element = (group.y * numGroups.x + group.x) * 256 + local.x
#ifdef FP16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define ACT_T float16_t
#else
#define ACT_T float
#endif
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Input { ACT_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { ACT_T outputs[]; };
layout(push_constant) uniform Push {
    uint n, inH, inW, outH, outW, channels, k, stride, padTop, padLeft, relu6;
} pc;

void main() {
    uint index = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 256u + gl_LocalInvocationID.x;
    uint total = pc.n * pc.outH * pc.outW * pc.channels;
    if (index >= total) return;
    uint c = index % pc.channels;
    uint pixel = index / pc.channels;
    uint ox = pixel % pc.outW;
    uint oy = (pixel / pc.outW) % pc.outH;
    uint b = pixel / (pc.outW * pc.outH);
    float acc = bias[c];
    for (uint ky = 0u; ky < pc.k; ++ky) {
        int iy = int(oy * pc.stride + ky) - int(pc.padTop);
        if (iy < 0 || iy >= int(pc.inH)) continue;
        for (uint kx = 0u; kx < pc.k; ++kx) {
            int ix = int(ox * pc.stride + kx) - int(pc.padLeft);
            if (ix < 0 || ix >= int(pc.inW)) continue;
            acc += float(inputs[((b * pc.inH + uint(iy)) * pc.inW + uint(ix)) * pc.channels + c])
                 * weights[(ky * pc.k + kx) * pc.channels + c];
        }
    }
    if (pc.relu6 != 0u) acc = clamp(acc, 0.0, 6.0);
    outputs[index] = ACT_T(acc);
}
