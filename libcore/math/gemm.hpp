#pragma once
// Row-major single-precision GEMM/GEMV on Eigen. Eigen is built with OpenMP, so
// large products use every thread set by set_cpu_threads (math/threads.hpp);
// products issued from inside an OpenMP parallel region run on one thread.
namespace cortado {

enum class Trans { no, yes };

// C = alpha * op(A) * op(B) + beta * C, every matrix row-major with the given
// leading dimension (elements between consecutive rows). op(A) is M x K,
// op(B) is K x N, C is M x N. With beta == 0, C is only written, never read.
void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);

// The same for packed matrices (no gaps between rows).
inline void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A,
                 const float* B, float beta, float* C) {
  gemm(ta, tb, M, N, K, alpha, A, ta == Trans::no ? K : M, B, tb == Trans::no ? N : K, beta, C, N);
}

// y = alpha * op(A) * x + beta * y, A packed row-major M x N (op(A) is N x M when transposed).
void gemv(Trans ta, int M, int N, float alpha, const float* A, const float* x, float beta,
          float* y);

}  // namespace cortado
