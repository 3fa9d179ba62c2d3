#version 450
// Global average pool: the mean over all pixels of each image and channel, in float32.
// Two variants (compile-time, REDUCE_SUBGROUP):
//   default (every device): one invocation per image and channel walks the image's pixels; adjacent
//     invocations read adjacent channels. No shared memory, no cross-invocation sum.
//   REDUCE_SUBGROUP (by default on GPUs with subgroup arithmetic in compute shaders): the work group covers GROUPS
//     channel groups of CH adjacent channels; subgroup s takes groups s, s + gl_NumSubgroups, …, its
//     active lanes split the pixels (lane l: pixels l, l + lanes, …) and subgroupAdd sums each channel
//     across them, so a few wide images need not be walked by one invocation per channel. Lane and lane
//     count come from subgroupExclusiveAdd / subgroupAdd over the active lanes: no subgroup size, and no
//     mapping of invocations to subgroups, is assumed (a partial last subgroup has fewer lanes).
// storage: IN_T / LOAD_IN (input) defined by the launcher from its StorageFormat (float32, float16, or
//          16-bit fixed point over [0, 6])
// specialization: constant_id 0 = local size x (default variant: 64), 1 = CH, 2 = GROUPS (REDUCE_SUBGROUP)
// bindings: 0 IN_T input[N×pixels×C]  1 float output[N×C]
// push constants (uint): n, pixels, channels
// grid: default ceil(C / local size x); REDUCE_SUBGROUP ceil(C / (GROUPS·CH)); × N images
#extension GL_EXT_shader_16bit_storage : require
#ifdef REDUCE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint CH = 4;
layout(constant_id = 2) const uint GROUPS = 1;
layout(std430, binding = 0) readonly buffer Input { IN_T inputs[]; };
layout(std430, binding = 1) writeonly buffer Output { float outputs[]; };
layout(push_constant) uniform Push { uint n, pixels, channels; } pc;

void main() {
    uint b = gl_WorkGroupID.y;
#ifdef REDUCE_SUBGROUP
    float scale = pc.pixels == 0u ? 0.0 : 1.0 / float(pc.pixels);
    uint lane = subgroupExclusiveAdd(1u), lanes = subgroupAdd(1u);
    for (uint g = gl_SubgroupID; g < GROUPS; g += gl_NumSubgroups) {  // uniform in the subgroup
        uint colBase = (gl_WorkGroupID.x * GROUPS + g) * CH;
        float sums[CH];
        for (uint j = 0u; j < CH; ++j) sums[j] = 0.0;
        for (uint p = lane; p < pc.pixels; p += lanes) {
            uint base = (b * pc.pixels + p) * pc.channels;
            for (uint j = 0u; j < CH; ++j) {
                if (colBase + j < pc.channels) sums[j] += LOAD_IN(inputs[base + colBase + j]);
            }
        }
        for (uint j = 0u; j < CH; ++j) {
            float total = subgroupAdd(sums[j]);
            if (lane == 0u && colBase + j < pc.channels) outputs[b * pc.channels + colBase + j] = total * scale;
        }
    }
#else
    uint c = gl_GlobalInvocationID.x;
    if (c >= pc.channels || b >= pc.n) return;
    float sum = 0.0;
    uint base = b * pc.pixels * pc.channels + c;
    for (uint p = 0u; p < pc.pixels; ++p) sum += LOAD_IN(inputs[base + p * pc.channels]);
    outputs[b * pc.channels + c] = pc.pixels == 0u ? 0.0 : sum / float(pc.pixels);
#endif
}
