#include <cstdlib>
#include <cstring>

#include "math/gemm_isa.hpp"

namespace cortado {
namespace {

bool use_avx512() {
#ifdef CORTADO_HAVE_AVX512
  static const bool yes = [] {
    const char *forced = std::getenv("CORTADO_CPU_ISA");
    if (forced && std::strcmp(forced, "avx2") == 0) return false;
    // The four extensions x86-64-v4 assumes; libgcc also checks that the OS
    // saves the AVX-512 registers.
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  }();
  return yes;
#else
  return false;
#endif
}

}  // namespace

const char *gemm_isa() { return use_avx512() ? "avx512" : "avx2"; }

void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float *A, int lda,
          const float *B, int ldb, float beta, float *C, int ldc) {
#ifdef CORTADO_HAVE_AVX512
  if (use_avx512()) return avx512::gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
  avx2::gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemv(Trans ta, int M, int N, float alpha, const float *A, const float *x, float beta,
          float *y) {
#ifdef CORTADO_HAVE_AVX512
  if (use_avx512()) return avx512::gemv(ta, M, N, alpha, A, x, beta, y);
#endif
  avx2::gemv(ta, M, N, alpha, A, x, beta, y);
}

}  // namespace cortado
