#include <hdf5.h>

// H5T_NATIVE_* and H5P_DEFAULT are macros over globals that need H5open(): expose them as functions.
static inline hid_t imgfeat_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t imgfeat_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t imgfeat_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t imgfeat_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t imgfeat_h5s_all(void) { return H5S_ALL; }
static inline unsigned imgfeat_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline size_t imgfeat_h5t_variable(void) { return H5T_VARIABLE; }
// The library prints its error stack to stderr by default; callers report their own one-line errors.
static inline herr_t imgfeat_h5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
