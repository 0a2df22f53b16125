#pragma once
// Reductions over one thread block in a fixed order (a tree in shared memory), so
// that a loss or a bias gradient computed on the device is the same on every run.
// The block must have kTotalThreads threads, and every thread must call; kernels that
// use these declare __launch_bounds__(kTotalThreads), so that they never need more
// registers than a block of that size may have.
#include <climits>

namespace cortado::gpu {

constexpr int kTotalThreads = 512;

// The sum of v over the block, returned to every thread; may be called again at once.
template <class T>
__device__ T block_total(T v) {
  __shared__ T part[kTotalThreads];
  part[threadIdx.x] = v;
  __syncthreads();
  for (int s = kTotalThreads / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
    __syncthreads();
  }
  const T total = part[0];
  __syncthreads();  // part[0] must be read by all before a next call overwrites it
  return total;
}

// The minimum of v over the block, returned to every thread.
__device__ inline int block_min(int v) {
  __shared__ int part[kTotalThreads];
  part[threadIdx.x] = v;
  __syncthreads();
  for (int s = kTotalThreads / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s && part[threadIdx.x + s] < part[threadIdx.x])
      part[threadIdx.x] = part[threadIdx.x + s];
    __syncthreads();
  }
  const int m = part[0];
  __syncthreads();
  return m;
}

}  // namespace cortado::gpu
