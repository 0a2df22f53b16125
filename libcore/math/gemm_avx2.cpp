// The AVX2 build of the Eigen kernels (libcore's own flags, x86-64-v3).
#define CORTADO_GEMM_ISA avx2
#include "math/gemm_eigen.inc"
