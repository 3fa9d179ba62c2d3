#version 450
// Full (dense) KxK convolution with Keras padding, fused bias and optional ReLU6: MobileNetV2's stem.
// One invocation per output element; invocation x is the output channel, so neighbours read the same
// input pixel and adjacent weights. K and CIN are specialization constants so the loops unroll, and the
// grid carries the pixel coordinates, so no invocation divides.
// specialization: constant_id 0 = local size x (output channels per workgroup), 1 = K, 2 = CIN
// storage: IN_T / LOAD_IN (input), OUT_T / STORE_OUT (output) defined by the launcher from each tensor's
//          StorageFormat (float32, float16, or 16-bit fixed point over [0, 6]); arithmetic in float32
// bindings: 0 IN_T input[N×inH×inW×CIN]  1 float weights[K][K][CIN][cout]  2 float bias[cout]
//           3 OUT_T output[N×outH×outW×cout]
// push constants (uint): inH, inW, outH, outW, cout, stride, padTop, padLeft, relu6
// grid: (ceil(cout / local x), outW, N × outH); invocation (co, ox, n × outH + oy)
#extension GL_EXT_shader_16bit_storage : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint K = 3;
layout(constant_id = 2) const uint CIN = 3;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { OUT_T outputs[]; };
layout(push_constant) uniform Push { uint inH, inW, outH, outW, cout, stride, padTop, padLeft, relu6; } pc;

void main() {
    uint co = gl_GlobalInvocationID.x, ox = gl_GlobalInvocationID.y;
    if (co >= pc.cout) return;
    uint b = gl_WorkGroupID.z / pc.outH, oy = gl_WorkGroupID.z % pc.outH;
    float acc = bias[co];
    for (uint ky = 0u; ky < K; ++ky) {
        int iy = int(oy * pc.stride + ky) - int(pc.padTop);
        if (iy < 0 || iy >= int(pc.inH)) continue;
        for (uint kx = 0u; kx < K; ++kx) {
            int ix = int(ox * pc.stride + kx) - int(pc.padLeft);
            if (ix < 0 || ix >= int(pc.inW)) continue;
            uint inBase = ((b * pc.inH + uint(iy)) * pc.inW + uint(ix)) * CIN;
            uint wBase = (ky * K + kx) * CIN * pc.cout + co;
            for (uint ci = 0u; ci < CIN; ++ci) {
                acc += LOAD_IN(inputs[inBase + ci]) * weights[wBase + ci * pc.cout];
            }
        }
    }
    if (pc.relu6 != 0u) acc = clamp(acc, 0.0, 6.0);
    outputs[((b * pc.outH + oy) * pc.outW + ox) * pc.cout + co] = STORE_OUT(acc);
}
