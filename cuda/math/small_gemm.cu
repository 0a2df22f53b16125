#include <atomic>

#include "cuda/layers/relu.cuh"
#include "cuda/math/small_gemm.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {

constexpr int kTile = 16;  // outputs a block: kTile x kTile; K in steps of kTile

std::atomic<long long> runs{0};

// One output C[m][n] a thread (threadIdx.y along m, threadIdx.x along n). Each step
// stages op(A)'s and op(B)'s kTile x kTile tiles in shared memory, each loaded with
// consecutive threads on consecutive addresses whichever way the operand is stored.
template <bool TA, bool TB>
__global__ void __launch_bounds__(kTile* kTile)
    small_gemm_kernel(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                      const float* __restrict__ B, int ldb, float beta, float* __restrict__ C,
                      int ldc, const float* __restrict__ bias, bool relu, float slope) {
  chain_wait();
  __shared__ float as[kTile][kTile + 1];  // as[k][m]; + 1: no bank conflicts on stores
  __shared__ float bs[kTile][kTile + 1];  // bs[k][n]
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int m0 = blockIdx.y * kTile, n0 = blockIdx.x * kTile;
  float acc = 0.f;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    {  // op(A)(m, k) is A[m][k], or A[k][m] transposed
      const int mm = TA ? tx : ty, kk = TA ? ty : tx;
      const int m = m0 + mm, k = k0 + kk;
      as[kk][mm] = m < M && k < K ? (TA ? A[int64_t(k) * lda + m] : A[int64_t(m) * lda + k]) : 0.f;
    }
    {  // op(B)(k, n) is B[k][n], or B[n][k] transposed
      const int nn = TB ? ty : tx, kk = TB ? tx : ty;
      const int n = n0 + nn, k = k0 + kk;
      bs[kk][nn] = n < N && k < K ? (TB ? B[int64_t(n) * ldb + k] : B[int64_t(k) * ldb + n]) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTile; ++kk) acc += as[kk][ty] * bs[kk][tx];
    __syncthreads();
  }
  const int m = m0 + ty, n = n0 + tx;
  if (m >= M || n >= N) return;
  float* c = C + int64_t(m) * ldc + n;
  float v = alpha * acc;
  if (beta != 0.f) v += beta * *c;
  if (bias) v += bias[n];
  if (relu) v = relu_value(v, slope);
  *c = v;
}

}  // namespace

long long small_gemm_runs() { return runs; }

void small_gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
                const float* B, int ldb, float beta, float* C, int ldc, const float* bias,
                std::optional<float> relu_slope) {
  if (M <= 0 || N <= 0) return;
  ++runs;
  const dim3 grid((N + kTile - 1) / kTile, (M + kTile - 1) / kTile), block(kTile, kTile);
  cudaStream_t stream = Context::get().stream();
  const bool relu = relu_slope.has_value();
  const float slope = relu_slope.value_or(0.f);
  const bool ta_yes = ta == Trans::yes, tb_yes = tb == Trans::yes;
  if (!ta_yes && !tb_yes)
    launch("small_gemm", small_gemm_kernel<false, false>, grid, block, stream, M, N, K, alpha, A,
           lda, B, ldb, beta, C, ldc, bias, relu, slope);
  else if (!ta_yes)
    launch("small_gemm", small_gemm_kernel<false, true>, grid, block, stream, M, N, K, alpha, A,
           lda, B, ldb, beta, C, ldc, bias, relu, slope);
  else if (!tb_yes)
    launch("small_gemm", small_gemm_kernel<true, false>, grid, block, stream, M, N, K, alpha, A,
           lda, B, ldb, beta, C, ldc, bias, relu, slope);
  else
    launch("small_gemm", small_gemm_kernel<true, true>, grid, block, stream, M, N, K, alpha, A, lda,
           B, ldb, beta, C, ldc, bias, relu, slope);
}

}  // namespace cortado::gpu
