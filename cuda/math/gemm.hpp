#pragma once
// Row-major single-precision GEMM on the GPU through cuBLAS, with the CPU
// version's signature and meaning (libcore/math/gemm.hpp); device pointers.
// FP32 throughout: the cuBLAS handle has TF32 off (Context::cublas).
#include <optional>

#include "math/gemm.hpp"

namespace cortado::gpu {

// C = alpha * op(A) * op(B) + beta * C; op(A) is M x K, op(B) K x N, C M x N.
void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);

// `batch` such products, the i-th operands at A + i * stride_a, B + i * stride_b and
// C + i * stride_c (a stride of 0 shares one operand across the batch): one launch.
void gemm_batched(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
                  long long stride_a, const float* B, int ldb, long long stride_b, float beta,
                  float* C, int ldc, long long stride_c, int batch);

inline void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A,
                 const float* B, float beta, float* C) {
  // Qualified: Trans lives in cortado, so plain gemm would also find the CPU one.
  gpu::gemm(ta, tb, M, N, K, alpha, A, ta == Trans::no ? K : M, B, tb == Trans::no ? N : K,
            beta, C, N);
}

// C = alpha op(A) op(B) + beta C, then + bias[n] on every row (nullptr: none) and with
// relu_slope the ReLU (add_channel_bias's arithmetic), leading dimensions as the short
// gemm's: by cuBLAS and a bias pass, or by small_gemm (cuda/math/small_gemm.hpp) in one
// pass, whichever timed faster the first time at this shape and setting, the choice
// logged (cuda/math/gemm_choice.cpp). With deterministic(): cuBLAS, untimed.
void gemm_bias(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A,
               const float* B, float beta, float* C, const float* bias = nullptr,
               std::optional<float> relu_slope = std::nullopt);

// Which way gemm_bias takes: the faster by timing (the default), cuBLAS only, or
// small_gemm wherever it can run (tests). Read when a shape is first met.
enum class GemmPolicy { timed, cublas_only, small };
void set_gemm_policy(GemmPolicy policy);

}  // namespace cortado::gpu
