#include "ckernels.h"
#include "dispatch.h"

// -1 until first asked; the CPU does not change under a running process.
static int avx2_supported = -1;
// Per thread, so a test forcing the scalar path does not change what other threads run.
static _Thread_local int scalar_forced = 0;

int ck_use_avx2(void) {
    if (avx2_supported < 0) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        avx2_supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
        avx2_supported = 0;
#endif
    }
    return avx2_supported && !scalar_forced;
}

const char *ck_isa_name(void) { return ck_use_avx2() ? "avx2+fma" : "scalar"; }

void ck_force_scalar(int on) { scalar_forced = on != 0; }
