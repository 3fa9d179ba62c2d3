#version 450
// Fills a float buffer with one value; used by runtime tests.
// binding 0: float data[]; push constant: uint count, float value; grid: ceil(count / 64) x 1 x 1
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Data { float data[]; };
layout(push_constant) uniform Push { uint count; float value; } pc;
void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i < pc.count) data[i] = pc.value;
}
