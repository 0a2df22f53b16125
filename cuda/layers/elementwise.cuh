#pragma once
// One kernel for the layers' elementwise loops: a functor `f` with a __device__
// operator()(int64_t i) is called for every i in [0, n), over a grid-stride loop.
// Functors (not device lambdas) because the build has no --extended-lambda.
#include <cstdint>

#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"

namespace cortado::gpu {

template <class F>
__global__ void for_each_index_kernel(int64_t n, F f) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, n) { f(i); }
}

// Queues f(0) ... f(n - 1) on the context's stream; n <= 0 queues nothing.
template <class F>
void for_each_index(const char* kernel, int64_t n, F f) {
  if (n <= 0) return;
  launch(kernel, for_each_index_kernel<F>, blocks_for(n), kThreads, Context::get().stream(), n, f);
}

// y[i] += x[i]: gradients summed into a diff (Split's copies, SPP's levels, Parameter).
struct Accumulate {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] += x[i]; }
};

}  // namespace cortado::gpu
