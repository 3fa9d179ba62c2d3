#version 450
// PCA co-moments of a float32 feature batch, accumulated in float-float (hi + lo, ~44-bit mantissa):
//   S[i][j] += Σ_r (x[r][i] − c[i]) · (x[r][j] − c[j])      (only tiles with tile_j ≥ tile_i)
//   s[i]    += Σ_r (x[r][i] − c[i])
// c is a shift close to the data (the first row seen); the host turns (n, c, s, S) into mean and
// co-moment in float64. Float-float instead of float64 so that no device feature is needed.
// Every step uses error-free transformations (two-sum, Dekker two-product) under `precise`, so the
// compiler may not re-associate them away.
// bindings: 0 float x[rows×dim] (from element first_row×dim)  1 float c[dim]
//           2 vec2 S[dim×dim] (read-write, x = hi, y = lo)    3 vec2 s[dim] (read-write)
// push constants (uint): rows, dim, first_row
// grid: (ceil(dim / 16), ceil(dim / 16), 1) with local size 16×16×1; groups with tile_x < tile_y exit.
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Shift { float c[]; };
layout(std430, binding = 2) buffer Comoment { vec2 S[]; };
layout(std430, binding = 3) buffer Sum { vec2 s[]; };
layout(push_constant) uniform Push { uint rows, dim, first_row; } pc;

const uint TILE = 16u;
shared vec2 rowsI[TILE][TILE];  // [row in chunk][column in tile i]: centred value as hi + lo
shared vec2 rowsJ[TILE][TILE];

// a + b exactly as hi + lo (Knuth's two-sum).
vec2 twoSum(float a, float b) {
    precise float s = a + b;
    precise float bb = s - a;
    precise float err = (a - (s - bb)) + (b - bb);
    return vec2(s, err);
}

// a · b exactly as hi + lo (Dekker, Veltkamp splitting with 2^12 + 1: no fma needed).
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

// (a.x + a.y) + (b.x + b.y), renormalised.
vec2 ffAdd(vec2 a, vec2 b) {
    vec2 t = twoSum(a.x, b.x);
    precise float lo = t.y + (a.y + b.y);
    return twoSum(t.x, lo);
}

// (a.x + a.y) · (b.x + b.y), dropping a.y · b.y.
vec2 ffMul(vec2 a, vec2 b) {
    vec2 p = twoProd(a.x, b.x);
    precise float lo = p.y + (a.x * b.y + a.y * b.x);
    return twoSum(p.x, lo);
}

void main() {
    uint tileI = gl_WorkGroupID.y, tileJ = gl_WorkGroupID.x;
    if (tileJ < tileI) return;  // the lower triangle is never needed: whole group leaves together
    uint lx = gl_LocalInvocationID.x, ly = gl_LocalInvocationID.y;
    uint i = tileI * TILE + ly, j = tileJ * TILE + lx;
    vec2 acc = vec2(0.0);
    vec2 sum = vec2(0.0);
    for (uint r0 = 0u; r0 < pc.rows; r0 += TILE) {
        // Invocation (lx, ly) loads row r0 + ly, column lx of both tiles, centred exactly (two-sum).
        uint r = r0 + ly;
        uint ci = tileI * TILE + lx, cj = tileJ * TILE + lx;
        vec2 vi = vec2(0.0), vj = vec2(0.0);
        if (r < pc.rows) {
            uint base = (pc.first_row + r) * pc.dim;
            if (ci < pc.dim) vi = twoSum(x[base + ci], -c[ci]);
            if (cj < pc.dim) vj = twoSum(x[base + cj], -c[cj]);
        }
        rowsI[ly][lx] = vi;
        rowsJ[ly][lx] = vj;
        barrier();
        uint count = min(TILE, pc.rows - r0);
        for (uint k = 0u; k < count; ++k) {
            acc = ffAdd(acc, ffMul(rowsI[k][ly], rowsJ[k][lx]));
        }
        if (tileI == tileJ && ly == 0u) {
            for (uint k = 0u; k < count; ++k) sum = ffAdd(sum, rowsJ[k][lx]);
        }
        barrier();
    }
    if (i < pc.dim && j < pc.dim) S[i * pc.dim + j] = ffAdd(S[i * pc.dim + j], acc);
    if (tileI == tileJ && ly == 0u && j < pc.dim) s[j] = ffAdd(s[j], sum);
}
