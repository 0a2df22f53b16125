#pragma once
// Per-channel sums for the broadcast layers' parameter gradients (Scale, Bias,
// PReLU) and BatchNorm's statistics. The data is viewed as [outer][dim][inner];
// channel d sums term(j) over the outer * inner indices j = (o * dim + d) * inner + i.
// One block per channel, summed in double as the CPU layers do.
#include <cstdint>

#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"

namespace cortado::gpu {

// The sum of v over the block (kThreads threads, a power of 2), returned to every
// thread. Every thread of the block must call it; it may be called again at once.
__device__ inline double block_sum(double v) {
  __shared__ double partial[kThreads];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();  // nobody may overwrite partial[0] before everyone has read it
  return total;
}

// Channel d's sum of term(j) over its outer * inner elements, by the calling block.
// Thread t takes the t-th, (t + blockDim)-th, ... of them, its (o, i) position stepped
// along rather than divided out of the index each time.
template <class Term>
__device__ double channel_total(int outer, int dim, int inner, int d, const Term& term) {
  const int64_t per_channel = int64_t{outer} * inner;
  if (per_channel <= 0) return block_sum(0.0);
  const int step_o = blockDim.x / inner, step_i = blockDim.x % inner;
  int64_t o = threadIdx.x / inner;
  int i = threadIdx.x % inner;
  double acc = 0;
  for (int64_t j = threadIdx.x; j < per_channel; j += blockDim.x) {
    acc += term((o * dim + d) * inner + i);
    o += step_o;
    i += step_i;
    if (i >= inner) {
      i -= inner;
      ++o;
    }
  }
  return block_sum(acc);
}

template <class Term>
__global__ void channel_sum_kernel(int outer, int dim, int inner, Term term, float* out,
                                   bool accumulate) {
  chain_wait();
  // The loop bound is the same for every thread of a block, as block_sum needs.
  for (int d = blockIdx.x; d < dim; d += gridDim.x) {
    const double total = channel_total(outer, dim, inner, d, term);
    if (threadIdx.x == 0) out[d] = static_cast<float>(total) + (accumulate ? out[d] : 0.f);
  }
}

inline int blocks_for_channels(int dim) { return dim < 65535 ? dim : 65535; }

// out[d] = (accumulate ? out[d] : 0) + sum of term over channel d, for d < dim.
// term is a functor with a __device__ double operator()(int64_t j).
template <class Term>
void channel_sum(const char* kernel, int outer, int dim, int inner, Term term, float* out,
                 bool accumulate) {
  if (dim <= 0) return;
  launch(kernel, channel_sum_kernel<Term>, blocks_for_channels(dim), kThreads,
         Context::get().stream(), outer, dim, inner, term, out, accumulate);
}

}  // namespace cortado::gpu
