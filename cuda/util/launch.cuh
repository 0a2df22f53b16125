#pragma once
// Launch shapes for the elementwise kernels: 256 threads a block, and a grid
// capped so that huge arrays are covered by grid-stride loops, not by giant grids.
#include <algorithm>
#include <cstdint>

namespace cortado::gpu {

constexpr int kThreads = 256;

inline int blocks_for(int64_t n) {
  return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65536));
}

}  // namespace cortado::gpu

// for (i over [0, n)) spread over the whole grid; 64-bit so i + stride cannot overflow.
#define CORTADO_KERNEL_LOOP(i, n)                                                   \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n);       \
       i += int64_t{blockDim.x} * gridDim.x)
