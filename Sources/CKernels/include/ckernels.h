#ifndef IMGFEAT_CKERNELS_H
#define IMGFEAT_CKERNELS_H
#include <stddef.h>
/// Version of the kernel library, so the target is never empty.
int imgfeat_ckernels_version(void);
#endif
