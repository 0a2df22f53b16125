#pragma once
// Launch shapes for the elementwise kernels: 256 threads a block, and a grid
// capped so that huge arrays are covered by grid-stride loops, not by giant grids.
#include <algorithm>
#include <climits>
#include <cstdint>

namespace cortado::gpu {

constexpr int kThreads = 256;

inline int blocks_for(int64_t n) {
  return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65536));
}

// Kernels whose cost is their index arithmetic (division and modulo by the shape)
// take the index type as a template argument: int where every index, the grid stride
// added, fits (a 32-bit division is several times cheaper than a 64-bit one on the
// GPU), int64_t beyond.
inline bool fits_int(int64_t n) { return n <= INT_MAX - int64_t{kThreads} * 65536; }

}  // namespace cortado::gpu

// for (i over [0, n)) spread over the whole grid; 64-bit so i + stride cannot overflow.
#define CORTADO_KERNEL_LOOP(i, n)                                                   \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n);       \
       i += int64_t{blockDim.x} * gridDim.x)

// The same loop with an index of type Index (see fits_int).
#define CORTADO_KERNEL_LOOP_AS(Index, i, n)                                        \
  for (Index i = blockIdx.x * Index(blockDim.x) + threadIdx.x; i < (n);           \
       i += Index(blockDim.x) * gridDim.x)
