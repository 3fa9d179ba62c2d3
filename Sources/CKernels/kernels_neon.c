// The neon kernel set: the SIMD templates instantiated over simd.h's NEON vector layer.
#include "kernel_set.h"
#if CK_HAVE_NEON
#define CK_SIMD_NEON
#include "simd.h"
#include "pointwise_simd.h"
#include "depthwise_row_simd.h"
#include "simd_end.h"
#endif
