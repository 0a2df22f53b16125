#pragma once
// Index bottoms on the device (Embed's indices, BatchReindex's permutation): the first
// value that is not a whole number in [0, limit), the lowest position as on the CPU,
// for an Error in eager mode (read back) or the layer's error slot in CUDA graph mode
// (libcore/layers/graph_slots.hpp). One block: index bottoms hold a batch's worth of
// values, and a block's minimum needs no zeroed counter and no atomics. The kernel and
// its launcher are static: each .cu that includes this compiles its own copy (the
// build has no relocatable device code to share one between them).
#include <climits>
#include <cstdint>
#include <cstring>

#include "cuda/layers/block_total.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"

namespace cortado::gpu {

// The CPU layers' test, written so that NaN fails too.
__device__ inline bool good_index(float v, int limit) {
  return v >= 0.f && v < static_cast<float>(limit) && static_cast<float>(static_cast<int>(v)) == v;
}

// out[0] = the first bad position + 1 (0: none), out[1] = its value's bits.
static __global__ void __launch_bounds__(kTotalThreads)
    first_bad_index_kernel(int n, int limit, const float* idx, int* out) {
  chain_wait();
  int bad = INT_MAX;
  for (int64_t i = threadIdx.x; i < n; i += kTotalThreads)
    if (!good_index(idx[i], limit)) {
      bad = static_cast<int>(i);  // this thread's first; later ones cannot be lower
      break;
    }
  bad = block_min(bad);
  if (threadIdx.x == 0) {
    out[0] = bad == INT_MAX ? 0 : bad + 1;
    out[1] = bad == INT_MAX ? 0 : __float_as_int(idx[bad]);
  }
}

// Queues the check of idx[0, n); `out` is 2 ints on the device, written every time.
static void find_bad_index(int n, int limit, const float* idx, int* out) {
  launch("first_bad_index", first_bad_index_kernel, 1, kTotalThreads, Context::get().stream(), n,
         limit, idx, out);
}

// The bad value from out[1] (on the host).
inline float bad_index_value(int bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace cortado::gpu
