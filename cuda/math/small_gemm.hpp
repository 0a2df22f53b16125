#pragma once
// A GEMM kernel of our own for small products, with a bias and a ReLU in its epilogue:
// the alternative gpu::gemm_bias (cuda/math/gemm.hpp) times against cuBLAS. At LeNet's
// sizes (InnerProduct 64 x 500 x 800 and 64 x 10 x 500) cuBLAS splits K and adds a
// reduction kernel, and the bias is another pass: on an H100 each product with its bias
// took 17-25 us where this has one 16 x 16 tile of outputs a block, one output a
// thread, K in steps of 16 through shared memory, and the bias and ReLU applied as it
// stores. Each output sums its K terms in order, so it is the same on every run.
// Row-major, as gpu::gemm; device pointers, the context's stream.
#include <optional>

#include "math/gemm.hpp"

namespace cortado::gpu {

// C = alpha op(A) op(B) + beta C (beta 0: C is not read), then + bias[n] on every row
// (nullptr: none) and with relu_slope ReLU (add_channel_bias's arithmetic).
void small_gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
                const float* B, int ldb, float beta, float* C, int ldc, const float* bias,
                std::optional<float> relu_slope);
// Products computed by it so far in the process: tests see that it ran.
long long small_gemm_runs();

}  // namespace cortado::gpu
