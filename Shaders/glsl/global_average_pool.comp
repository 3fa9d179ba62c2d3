#version 450
// Global average pool: the mean over all pixels of each image and channel, in float32.
// storage: IN_T / LOAD_IN (input) defined by the launcher from its StorageFormat (float32, float16, or
//          16-bit fixed point over [0, 6])
// bindings: 0 IN_T input[N×pixels×C]  1 float output[N×C]
// push constants (uint): n, pixels, channels
// grid: (ceil(C / 64), N, 1) with local size 64×1×1
#extension GL_EXT_shader_16bit_storage : require
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) writeonly buffer Output { float outputs[]; };
layout(push_constant) uniform Push { uint n, pixels, channels; } pc;

void main() {
    uint c = gl_GlobalInvocationID.x, b = gl_GlobalInvocationID.y;
    if (c >= pc.channels || b >= pc.n) return;
    float sum = 0.0;
    uint base = b * pc.pixels * pc.channels + c;
    for (uint p = 0u; p < pc.pixels; ++p) sum += LOAD_IN(inputs[base + p * pc.channels]);
    outputs[b * pc.channels + c] = pc.pixels == 0u ? 0.0 : sum / float(pc.pixels);
}
