#include "ckernels.h"
int imgfeat_ckernels_version(void) { return 1; }
