#pragma once
// The GEMM kernels per instruction set, behind math/gemm.hpp. Eigen picks its
// vector width at compile time, so the same source is compiled once for AVX2
// (the floor, x86-64-v3) and once for AVX-512 (x86-64-v4); gemm() chooses at
// run time, so one binary runs on both and is twice as fast where AVX-512
// exists.
#include "math/gemm.hpp"

namespace cortado {

namespace avx2 {
void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float *A, int lda,
          const float *B, int ldb, float beta, float *C, int ldc);
void gemv(Trans ta, int M, int N, float alpha, const float *A, const float *x, float beta,
          float *y);
}  // namespace avx2
#ifdef CORTADO_HAVE_AVX512
namespace avx512 {
void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float *A, int lda,
          const float *B, int ldb, float beta, float *C, int ldc);
void gemv(Trans ta, int M, int N, float alpha, const float *A, const float *x, float beta,
          float *y);
}  // namespace avx512
#endif

// "avx512" or "avx2": the kernels gemm() uses on this machine. The environment
// variable CORTADO_CPU_ISA=avx2 forces the AVX2 kernels (to compare the two).
const char *gemm_isa();

}  // namespace cortado
