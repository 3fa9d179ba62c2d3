// The avx512 kernel set: the SIMD templates instantiated over simd.h's AVX512 vector layer.
#include "kernel_set.h"
#if CK_HAVE_X86
#define CK_SIMD_AVX512
#include "simd.h"
#include "pointwise_simd.h"
#include "depthwise_row_simd.h"
#include "simd_end.h"
#endif
