// The avx2 kernel set: the SIMD templates instantiated over simd.h's AVX2 vector layer.
#include "kernel_set.h"
#if CK_HAVE_X86
#define CK_SIMD_AVX2
#include "simd.h"
#include "pointwise_simd.h"
#include "depthwise_row_simd.h"
#include "simd_end.h"
#endif
