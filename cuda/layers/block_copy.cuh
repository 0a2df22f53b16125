#pragma once
// Concat's and Slice's copy: `outer` blocks of `rows` contiguous floats, block o
// read at src + o * src_stride and written at dst + o * dst_stride (the offsets
// into the wider blob are folded into the pointers by the caller).
#include <cstdint>

#include "cuda/layers/elementwise.cuh"

namespace cortado::gpu {

struct BlockCopy {
  const float* src;
  float* dst;
  int64_t rows, src_stride, dst_stride;
  __device__ void operator()(int64_t j) const {
    const int64_t o = j / rows, r = j - o * rows;
    dst[o * dst_stride + r] = src[o * src_stride + r];
  }
};

inline void block_copy(const char* kernel, int64_t outer, int64_t rows, const float* src,
                       int64_t src_stride, float* dst, int64_t dst_stride) {
  if (rows <= 0) return;  // also keeps j / rows defined
  for_each_index(kernel, outer * rows, BlockCopy{src, dst, rows, src_stride, dst_stride});
}

}  // namespace cortado::gpu
