#include "cuda/math/gemm.hpp"

#include <string>

#include <cublas_v2.h>

#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "util/error.hpp"

namespace cortado::gpu {

// cuBLAS is column-major; a row-major matrix is its transpose in column-major,
// so C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T: swap the operands
// and the M/N sizes, keep each operand's own transpose flag.
void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  Context& ctx = Context::get();
  const cublasOperation_t op_a = ta == Trans::no ? CUBLAS_OP_N : CUBLAS_OP_T;
  const cublasOperation_t op_b = tb == Trans::no ? CUBLAS_OP_N : CUBLAS_OP_T;
  const cublasStatus_t status = cublasSgemm(ctx.cublas(), op_b, op_a, N, M, K, &alpha, B, ldb,
                                            A, lda, &beta, C, ldc);
  if (status != CUBLAS_STATUS_SUCCESS)
    throw Error(device_label(ctx.device()),
                std::string("cublasSgemm failed: ") + cublasGetStatusString(status));
}

void gemm_batched(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
                  long long stride_a, const float* B, int ldb, long long stride_b, float beta,
                  float* C, int ldc, long long stride_c, int batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  Context& ctx = Context::get();
  const cublasOperation_t op_a = ta == Trans::no ? CUBLAS_OP_N : CUBLAS_OP_T;
  const cublasOperation_t op_b = tb == Trans::no ? CUBLAS_OP_N : CUBLAS_OP_T;
  const cublasStatus_t status =
      cublasSgemmStridedBatched(ctx.cublas(), op_b, op_a, N, M, K, &alpha, B, ldb, stride_b, A,
                                lda, stride_a, &beta, C, ldc, stride_c, batch);
  if (status != CUBLAS_STATUS_SUCCESS)
    throw Error(device_label(ctx.device()),
                std::string("cublasSgemmStridedBatched failed: ") + cublasGetStatusString(status));
}

}  // namespace cortado::gpu
