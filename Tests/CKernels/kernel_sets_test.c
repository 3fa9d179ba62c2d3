// Every SIMD kernel set this CPU (or emulator) supports, held against the plain scalar kernels on fresh
// seeded random inputs with awkward shapes; outputs start as NaN so an element a kernel forgets to
// write fails. Built natively and for aarch64 under qemu by scripts/test_ckernels.sh, because the
// Swift tests can only run the sets of the machine they run on.
#include "ckernels.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static float rnd(void) {  // xorshift64*, uniform in [-1, 1)
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((rng_state * 0x2545F4914F6CDD1DULL) >> 40) / (float)(1 << 23) - 1.0f;
}
static float *randoms(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = rnd();
    return p;
}
static float *nans(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

static int failures, checks;

// Max |got − expected| over max |expected| within 1e-5, NaN anywhere fails; prints the first mismatch.
static void expect_close(const float *got, const float *expected, size_t n, const char *set, const char *what) {
    checks++;
    float scale = 1e-30f;
    for (size_t i = 0; i < n; i++) scale = fmaxf(scale, fabsf(expected[i]));
    for (size_t i = 0; i < n; i++) {
        if (!(fabsf(got[i] - expected[i]) <= 1e-5f * scale)) {
            if (failures++ < 20)
                printf("FAIL %s %s: first mismatch at %zu of %zu: expected %.9g, got %.9g\n", set, what, i, n,
                       expected[i], got[i]);
            return;
        }
    }
}

static void test_pointwise(ck_kernels ks, const char *set) {
    static const int Ms[] = {1, 3, 7, 13, 14, 49, 127}, Ks[] = {1, 3, 13, 24, 127}, Ns[] = {1, 3, 13, 16, 24, 40, 127};
    for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
        for (size_t b = 0; b < sizeof Ks / sizeof *Ks; b++)
            for (size_t c = 0; c < sizeof Ns / sizeof *Ns; c++)
                for (int mode = 0; mode < 4; mode++) {
                    int M = Ms[a], K = Ks[b], N = Ns[c], residual = mode & 1, relu6 = mode >> 1;
                    float *x = randoms((size_t)M * K), *w = randoms((size_t)K * N), *bias = randoms(N);
                    float *res = residual ? randoms((size_t)M * N) : 0;
                    float *packed = malloc(ck_pointwise_packed_count(K, N) * sizeof(float));
                    ck_pointwise_pack(w, K, N, packed);
                    float *want = nans((size_t)M * N), *got = nans((size_t)M * N);
                    ck_pointwise(CK_KERNELS_SCALAR, x, M, K, packed, N, 0, N, bias, res, relu6, want, 0);
                    ck_pointwise(ks, x, M, K, packed, N, 0, N, bias, res, relu6, got, 0);
                    char what[96];
                    snprintf(what, sizeof what, "pointwise %dx%dx%d residual=%d relu6=%d", M, K, N, residual, relu6);
                    expect_close(got, want, (size_t)M * N, set, what);
                    // Column sums (the fused head + pool) over a column range starting at a panel edge.
                    int n0 = N > 16 ? 16 : 0;
                    float *swant = calloc(N, sizeof(float)), *sgot = calloc(N, sizeof(float));
                    ck_pointwise(CK_KERNELS_SCALAR, x, M, K, packed, N, n0, N, bias, 0, relu6, 0, swant);
                    ck_pointwise(ks, x, M, K, packed, N, n0, N, bias, 0, relu6, 0, sgot);
                    snprintf(what, sizeof what, "pooled %dx%dx%d columns %d..<%d relu6=%d", M, K, N, n0, N, relu6);
                    expect_close(sgot, swant, N, set, what);
                    free(x); free(w); free(bias); free(res); free(packed); free(want); free(got); free(swant); free(sgot);
                }
}

static void test_depthwise(ck_kernels ks, const char *set) {
    static const int Cs[] = {1, 3, 13, 16, 24, 127}, sides[][2] = {{1, 1}, {7, 13}, {8, 6}, {13, 3}};
    for (size_t a = 0; a < sizeof Cs / sizeof *Cs; a++)
        for (size_t b = 0; b < sizeof sides / sizeof *sides; b++)
            for (int stride = 1; stride <= 2; stride++)
                for (int relu6 = 0; relu6 <= 1; relu6++) {
                    int C = Cs[a], H = sides[b][0], W = sides[b][1];
                    int OH = (H + stride - 1) / stride, OW = (W + stride - 1) / stride;
                    int pt = stride == 1 ? 1 : (H % 2 ? 1 : 0), pl = stride == 1 ? 1 : (W % 2 ? 1 : 0);
                    float *x = randoms((size_t)H * W * C), *w = randoms(9 * (size_t)C), *bias = randoms(C);
                    float *want = nans((size_t)OH * OW * C), *got = nans((size_t)OH * OW * C);
                    ck_depthwise(CK_KERNELS_SCALAR, x, H, W, C, 3, stride, pt, pl, w, bias, relu6, want, OH, OW, 0, OH);
                    ck_depthwise(ks, x, H, W, C, 3, stride, pt, pl, w, bias, relu6, got, OH, OW, 0, OH);
                    char what[96];
                    snprintf(what, sizeof what, "depthwise c=%d %dx%d s=%d relu6=%d", C, H, W, stride, relu6);
                    expect_close(got, want, (size_t)OH * OW * C, set, what);
                    free(x); free(w); free(bias); free(want); free(got);
                }
}

static void test_stem(ck_kernels ks, const char *set) {
    static const int Couts[] = {1, 13, 16, 32, 127}, shapes[][3] = {{3, 1, 1}, {3, 13, 9}, {3, 8, 8}, {13, 5, 6}};
    for (size_t a = 0; a < sizeof Couts / sizeof *Couts; a++)
        for (size_t b = 0; b < sizeof shapes / sizeof *shapes; b++)
            for (int stride = 1; stride <= 2; stride++) {
                int Cout = Couts[a], Cin = shapes[b][0], H = shapes[b][1], W = shapes[b][2];
                int OH = (H + stride - 1) / stride, OW = (W + stride - 1) / stride, K = 9 * Cin;
                int pt = stride == 1 ? 1 : (H % 2 ? 1 : 0), pl = stride == 1 ? 1 : (W % 2 ? 1 : 0);
                float *x = randoms((size_t)H * W * Cin), *w = randoms((size_t)K * Cout), *bias = randoms(Cout);
                float *packed = malloc(ck_pointwise_packed_count(K, Cout) * sizeof(float));
                ck_pointwise_pack(w, K, Cout, packed);
                float *want = nans((size_t)OH * OW * Cout), *got = nans((size_t)OH * OW * Cout);
                ck_conv(CK_KERNELS_SCALAR, x, H, W, Cin, 3, stride, pt, pl, packed, bias, Cout, 1, want, OH, OW, 0, OH);
                ck_conv(ks, x, H, W, Cin, 3, stride, pt, pl, packed, bias, Cout, 1, got, OH, OW, 0, OH);
                char what[96];
                snprintf(what, sizeof what, "stem %d->%d %dx%d s=%d", Cin, Cout, H, W, stride);
                expect_close(got, want, (size_t)OH * OW * Cout, set, what);
                free(x); free(w); free(bias); free(packed); free(want); free(got);
            }
}

static float *packed_randoms(int K, int N) {
    float *w = randoms((size_t)K * N), *p = malloc(ck_pointwise_packed_count(K, N) * sizeof(float));
    ck_pointwise_pack(w, K, N, p);
    free(w);
    return p;
}

static void test_block(ck_kernels ks, const char *set) {
    static const int Cs[] = {1, 3, 13, 24};
    static const int shapes[][3] = {{1, 1, 6}, {7, 13, 1}, {8, 6, 3}, {13, 9, 6}, {29, 3, 2}, {2, 9, 1}, {33, 33, 6}};
    // (33×33×6·24 expanded floats exceed what the block expands whole, so the row ring runs too; 2×9
    // without expansion has fewer rows than the ring.)
    for (size_t a = 0; a < sizeof Cs / sizeof *Cs; a++)
        for (size_t b = 0; b < sizeof shapes / sizeof *shapes; b++)
            for (int stride = 1; stride <= 2; stride++) {
                int Cin = Cs[a], H = shapes[b][0], W = shapes[b][1], t = shapes[b][2];
                int Cexp = Cin * t, Cout = stride == 1 ? Cin : 13, residual = stride == 1;
                int OH = (H + stride - 1) / stride, OW = (W + stride - 1) / stride;
                int pt = stride == 1 ? 1 : (H % 2 ? 1 : 0), pl = stride == 1 ? 1 : (W % 2 ? 1 : 0);
                float *x = randoms((size_t)H * W * Cin);
                float *ew = t > 1 ? packed_randoms(Cin, Cexp) : 0, *eb = randoms(Cexp);
                float *dw = randoms(9 * (size_t)Cexp), *db = randoms(Cexp);
                float *pw = packed_randoms(Cexp, Cout), *pb = randoms(Cout);
                float *scratch = malloc(ck_block_scratch_count(H, W, Cexp, OW, OH, 3) * sizeof(float));
                float *want = nans((size_t)OH * OW * Cout), *got = nans((size_t)OH * OW * Cout);
                int flags = CK_RELU6_EXPAND | CK_RELU6_DEPTHWISE;
                ck_block(CK_KERNELS_SCALAR, x, H, W, Cin, ew, eb, Cexp, dw, db, 3, stride, pt, pl, pw, pb, Cout,
                         residual, want, OH, OW, scratch, flags);
                ck_block(ks, x, H, W, Cin, ew, eb, Cexp, dw, db, 3, stride, pt, pl, pw, pb, Cout, residual, got, OH,
                         OW, scratch, flags);
                char what[96];
                snprintf(what, sizeof what, "block %d->%d->%d %dx%d s=%d", Cin, Cexp, Cout, H, W, stride);
                expect_close(got, want, (size_t)OH * OW * Cout, set, what);
                free(x); free(ew); free(eb); free(dw); free(db); free(pw); free(pb); free(scratch); free(want); free(got);
            }
}

int main(int argc, char **argv) {
    // With arguments: only those sets, each of which must be supported (so CI cannot skip one silently).
    int ran = 0;
    for (int ks = CK_KERNELS_SCALAR + 1; ks < CK_KERNELS_COUNT; ks++) {
        const char *set = ck_kernels_name(ks);
        int asked = argc == 1;
        for (int i = 1; i < argc; i++) asked |= strcmp(argv[i], set) == 0;
        if (!asked) continue;
        if (!ck_kernels_supported(ks)) {
            if (argc > 1) { printf("FAIL %s: asked for, but this CPU lacks it\n", set); failures++; }
            continue;
        }
        rng_state = 0x9E3779B97F4A7C15ULL;
        int before = failures, checks0 = checks;
        test_pointwise(ks, set);
        test_depthwise(ks, set);
        test_stem(ks, set);
        test_block(ks, set);
        printf("%s: %d checks against scalar, %d failed\n", set, checks - checks0, failures - before);
        ran++;
    }
    if (!ran) { printf("FAIL: no SIMD kernel set ran\n"); return 1; }
    return failures ? 1 : 0;
}
