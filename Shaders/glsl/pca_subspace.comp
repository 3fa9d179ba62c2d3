#version 450
// One step of block subspace iteration for the PCA eigen solver: Z = C · Q in float-float, where C is
// the d×d covariance and Q a d×b block of vectors, both given as (hi, lo) float pairs of the host's
// float64 values. The host orthonormalises Z and does the Rayleigh-Ritz step (b×b) in float64.
// The float-float helpers are the same error-free transformations as in pca_syrk.comp (GLSL has no
// portable include), all under `precise` so the compiler cannot re-associate them away.
// bindings: 0 vec2 C[d×d]  1 vec2 Q[d×b]  2 vec2 Z[d×b] (written)
// push constants (uint): d, b
// grid: (ceil(b / 16), ceil(d / 16), 1) with local size 16×16×1
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) readonly buffer Covariance { vec2 C[]; };
layout(std430, binding = 1) readonly buffer Block { vec2 Q[]; };
layout(std430, binding = 2) writeonly buffer Product { vec2 Z[]; };
layout(push_constant) uniform Push { uint d, b; } pc;

const uint TILE = 16u;
shared vec2 tileC[TILE][TILE];  // [row i][inner k]
shared vec2 tileQ[TILE][TILE];  // [inner k][column j]

vec2 twoSum(float a, float b) {
    precise float s = a + b;
    precise float bb = s - a;
    precise float err = (a - (s - bb)) + (b - bb);
    return vec2(s, err);
}

vec2 twoProd(float a, float b) {
    precise float p = a * b;
    precise float ta = 4097.0 * a;
    precise float ahi = ta - (ta - a);
    precise float alo = a - ahi;
    precise float tb = 4097.0 * b;
    precise float bhi = tb - (tb - b);
    precise float blo = b - bhi;
    precise float err = ((ahi * bhi - p) + ahi * blo + alo * bhi) + alo * blo;
    return vec2(p, err);
}

vec2 ffAdd(vec2 a, vec2 b) {
    vec2 t = twoSum(a.x, b.x);
    precise float lo = t.y + (a.y + b.y);
    return twoSum(t.x, lo);
}

vec2 ffMul(vec2 a, vec2 b) {
    vec2 p = twoProd(a.x, b.x);
    precise float lo = p.y + (a.x * b.y + a.y * b.x);
    return twoSum(p.x, lo);
}

void main() {
    uint lx = gl_LocalInvocationID.x, ly = gl_LocalInvocationID.y;
    uint i = gl_WorkGroupID.y * TILE + ly, j = gl_WorkGroupID.x * TILE + lx;
    vec2 acc = vec2(0.0);
    for (uint k0 = 0u; k0 < pc.d; k0 += TILE) {
        uint kc = k0 + lx, kq = k0 + ly;
        tileC[ly][lx] = (i < pc.d && kc < pc.d) ? C[i * pc.d + kc] : vec2(0.0);
        tileQ[ly][lx] = (kq < pc.d && j < pc.b) ? Q[kq * pc.b + j] : vec2(0.0);
        barrier();
        uint count = min(TILE, pc.d - k0);
        for (uint k = 0u; k < count; ++k) acc = ffAdd(acc, ffMul(tileC[ly][k], tileQ[k][lx]));
        barrier();
    }
    if (i < pc.d && j < pc.b) Z[i * pc.b + j] = acc;
}
