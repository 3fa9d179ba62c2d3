#version 450
// Depthwise KxK convolution (stride 1 or 2) with Keras padding, fused bias and optional ReLU6.
// One invocation per output element; invocation x is the channel (adjacent invocations read adjacent
// memory). K is a specialization constant so the taps unroll, and the grid carries the pixel
// coordinates, so no invocation divides.
// specialization: constant_id 0 = local size x (channels per workgroup), 1 = K
// storage: IN_T / LOAD_IN (input), OUT_T / STORE_OUT (output) defined by the launcher from each tensor's
//          StorageFormat (float32, float16, or 16-bit fixed point over [0, 6]); arithmetic in float32
// bindings: 0 IN_T input[N×inH×inW×C]  1 float weights[K][K][C]  2 float bias[C]
//           3 OUT_T output[N×outH×outW×C]
// push constants (uint): inH, inW, outH, outW, channels, stride, padTop, padLeft, relu6
// grid: (ceil(C / local x), outW, N × outH); invocation (c, ox, n × outH + oy)
#extension GL_EXT_shader_16bit_storage : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint K = 3;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) readonly buffer Weights { float weights[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };
layout(std430, binding = 3) writeonly buffer Output { OUT_T outputs[]; };
layout(push_constant) uniform Push { uint inH, inW, outH, outW, channels, stride, padTop, padLeft, relu6; } pc;

void main() {
    uint c = gl_GlobalInvocationID.x, ox = gl_GlobalInvocationID.y;
    if (c >= pc.channels) return;
    uint b = gl_WorkGroupID.z / pc.outH, oy = gl_WorkGroupID.z % pc.outH;
    float acc = bias[c];
    for (uint ky = 0u; ky < K; ++ky) {
        int iy = int(oy * pc.stride + ky) - int(pc.padTop);
        if (iy < 0 || iy >= int(pc.inH)) continue;
        uint rowBase = (b * pc.inH + uint(iy)) * pc.inW;
        for (uint kx = 0u; kx < K; ++kx) {
            int ix = int(ox * pc.stride + kx) - int(pc.padLeft);
            if (ix < 0 || ix >= int(pc.inW)) continue;
            acc += LOAD_IN(inputs[(rowBase + uint(ix)) * pc.channels + c]) * weights[(ky * K + kx) * pc.channels + c];
        }
    }
    if (pc.relu6 != 0u) acc = clamp(acc, 0.0, 6.0);
    outputs[((b * pc.outH + oy) * pc.outW + ox) * pc.channels + c] = STORE_OUT(acc);
}
