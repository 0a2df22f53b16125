// The AVX-512 build of the Eigen kernels (this file alone gets
// -march=x86-64-v4). Every other file of libcore instantiates Eigen's templates
// for AVX2 under the same names; renaming Eigen's namespace here keeps the two
// sets of instances apart, so the linker can never hand AVX-512 code to an AVX2
// caller.
#define Eigen Eigen_avx512
#define CORTADO_GEMM_ISA avx512
#include "math/gemm_eigen.inc"
