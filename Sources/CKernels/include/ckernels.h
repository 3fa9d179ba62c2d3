#ifndef IMGFEAT_CKERNELS_H
#define IMGFEAT_CKERNELS_H
#include <stddef.h>

/// The instruction sets the kernels come in; every kernel takes one, chosen by the caller.
typedef enum {
    CK_KERNELS_SCALAR = 0,  // portable C, any CPU
    CK_KERNELS_AVX2 = 1,    // x86-64 AVX2 + FMA, 8 floats a vector
    CK_KERNELS_AVX512 = 2,  // x86-64 AVX-512F, 16 floats a vector
    CK_KERNELS_NEON = 3,    // aarch64 Advanced SIMD, 4 floats a vector
} ck_kernels;
#define CK_KERNELS_COUNT 4

/// 1 when this build has kernels of that set and the CPU (and OS) can run them, else 0.
int ck_kernels_supported(int kernels);
/// The widest set this CPU supports.
ck_kernels ck_kernels_best(void);
/// "scalar", "avx2", "avx512" or "neon"; NULL for a value outside the enum.
const char *ck_kernels_name(int kernels);

/// Floats needed to hold K×N pointwise weights packed into zero-padded panels of 16 columns.
size_t ck_pointwise_packed_count(int K, int N);
/// Packs row-major weights w[K][N] into panels of 16 columns (panel-major, then k, then column);
/// the same layout for every kernel set.
void ck_pointwise_pack(const float *w, int K, int N, float *packed);
/// 1×1 convolution as a matrix product over M rows of K channels, for output columns [n0, n1)
/// (n0 a multiple of 16): v = in·w + bias (+ residual), ReLU6 if relu6; v goes to out[m][n]
/// (row stride N), or, when colsum is not NULL, is added to colsum[n] instead of being stored.
void ck_pointwise(ck_kernels ks, const float *in, int M, int K, const float *packed, int N, int n0, int n1,
                  const float *bias, const float *residual, int relu6, float *out, float *colsum);

/// Depthwise k×k convolution of one NHWC image (H×W×C, weights [k][k][C]) for output rows
/// [oy0, oy1): zero padding of pad_top rows and pad_left columns before, bias, ReLU6 if relu6;
/// out is OH×OW×C.
void ck_depthwise(ck_kernels ks, const float *in, int H, int W, int C, int ksize, int stride, int pad_top,
                  int pad_left, const float *w, const float *bias, int relu6, float *out, int OH, int OW,
                  int oy0, int oy1);

/// Largest kernel side the depthwise and block kernels accept.
#define CK_MAX_KERNEL 7

/// One output row of a depthwise convolution: rows[ky] (ky < ksize) points at the input row under
/// window row ky, or is NULL where the window is above or below the image; out is OW×C.
void ck_depthwise_row(ck_kernels ks, const float *const *rows, int W, int C, int ksize, int stride, int pad_left,
                      const float *w, const float *bias, int relu6, float *out, int OW);

/// Floats of scratch ck_block needs for a block with H×W inputs, Cexp expanded channels and OH×OW outputs.
size_t ck_block_scratch_count(int H, int W, int Cexp, int OW, int OH, int ksize);
/// One inverted residual block of one NHWC image, fused row by row so the expanded tensor never
/// exists in full (unless it is small enough to stay in L2, then it is expanded in one product): 1×1
/// expand (+bias, ReLU6) into a ring of ksize+1 rows, depthwise (+bias, ReLU6) into a band of output
/// rows, 1×1 project (+bias, + x if residual) of each band into y (OH×OW×Cout, must not overlap x).
/// expand_packed NULL means no expansion (Cexp == Cin). relu6_flags: which layers end in ReLU6
/// (CK_RELU6_* bits). scratch holds ck_block_scratch_count floats.
void ck_block(ck_kernels ks, const float *x, int H, int W, int Cin, const float *expand_packed,
              const float *expand_bias, int Cexp, const float *dw_w, const float *dw_bias, int ksize, int stride,
              int pad_top, int pad_left, const float *project_packed, const float *project_bias, int Cout,
              int residual, float *y, int OH, int OW, float *scratch, int relu6_flags);
#define CK_RELU6_EXPAND 1
#define CK_RELU6_DEPTHWISE 2
#define CK_RELU6_PROJECT 4

/// Full k×k convolution of one NHWC image for output rows [oy0, oy1), weights [k][k][Cin][Cout]
/// packed by ck_pointwise_pack as a (k·k·Cin)×Cout matrix;
/// zero padding of pad_top rows and pad_left columns before, bias, ReLU6 if relu6; out is OH×OW×Cout.
void ck_conv(ck_kernels ks, const float *in, int H, int W, int Cin, int ksize, int stride, int pad_top,
             int pad_left, const float *packed, const float *bias, int Cout, int relu6, float *out, int OH,
             int OW, int oy0, int oy1);

/// Mean over the HW rows of an HW×C matrix into out[C].
void ck_global_avg_pool(const float *in, int HW, int C, float *out);

/// A persistent pool of worker threads that runs numbered tasks; the caller takes part.
typedef struct ck_pool ck_pool;
/// Creates a pool that runs tasks on `threads` threads in all (the caller plus threads-1 workers).
ck_pool *ck_pool_create(int threads);
void ck_pool_destroy(ck_pool *pool);
int ck_pool_threads(const ck_pool *pool);
/// Runs fn(ctx, task, thread) for every task in [0, tasks), handing tasks out dynamically;
/// returns when all are done. Concurrent callers take turns; a task must not run the same pool.
void ck_pool_run(ck_pool *pool, int tasks, void (*fn)(void *ctx, int task, int thread), void *ctx);

#endif
