#version 450
// Full (dense) KxK convolution with Keras padding, fused bias and optional ReLU6: MobileNetV2's stem.
// One invocation per output element, channels innermost so neighbours read the same input pixel.
// bindings: 0 ACT_T input[N×inH×inW×cin]  1 float weights[k][k][cin][cout]  2 float bias[cout]
//           3 ACT_T output[N×outH×outW×cout]
// push constants (uint): n, inH, inW, outH, outW, cin, cout, k, stride, padTop, padLeft, relu6
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
    uint n, inH, inW, outH, outW, cin, cout, k, stride, padTop, padLeft, relu6;
} pc;

void main() {
    uint index = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 256u + gl_LocalInvocationID.x;
    uint total = pc.n * pc.outH * pc.outW * pc.cout;
    if (index >= total) return;
    uint co = index % pc.cout;
    uint pixel = index / pc.cout;
    uint ox = pixel % pc.outW;
    uint oy = (pixel / pc.outW) % pc.outH;
    uint b = pixel / (pc.outW * pc.outH);
    float acc = bias[co];
    for (uint ky = 0u; ky < pc.k; ++ky) {
        int iy = int(oy * pc.stride + ky) - int(pc.padTop);
        if (iy < 0 || iy >= int(pc.inH)) continue;
        for (uint kx = 0u; kx < pc.k; ++kx) {
            int ix = int(ox * pc.stride + kx) - int(pc.padLeft);
            if (ix < 0 || ix >= int(pc.inW)) continue;
            uint inBase = ((b * pc.inH + uint(iy)) * pc.inW + uint(ix)) * pc.cin;
            uint wBase = (ky * pc.k + kx) * pc.cin * pc.cout + co;
            for (uint ci = 0u; ci < pc.cin; ++ci) {
                acc += float(inputs[inBase + ci]) * weights[wBase + ci * pc.cout];
            }
        }
    }
    if (pc.relu6 != 0u) acc = clamp(acc, 0.0, 6.0);
    outputs[index] = ACT_T(acc);
}
