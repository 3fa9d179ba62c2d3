#ifndef IMGFEAT_CKERNELS_DISPATCH_H
#define IMGFEAT_CKERNELS_DISPATCH_H
// Internal: whether the AVX2+FMA kernels may run on this CPU (and are not disabled for testing).
int ck_use_avx2(void);
#endif
