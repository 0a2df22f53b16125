#pragma once
// The softmax of one position on the device, shared by the Softmax layer's kernel and
// SoftmaxWithLoss's fused one (softmax_loss.cu), so both give the same bits.
#include <cstdint>

namespace cortado::gpu {

// y = exp(x - max) / sum(exp(x - max)) over `channels` values `inner` apart, from xp
// into yp. The passes run in the CPU's order (max, exp and sum by increasing c,
// divide), so the results differ from it only by expf's rounding. Each element is read
// before it is written, so xp may be yp.
__device__ inline void softmax_position(int channels, int inner, const float* xp, float* yp) {
  float m = xp[0];
  for (int c = 1; c < channels; ++c) {
    const float v = xp[int64_t(c) * inner];
    m = m < v ? v : m;  // std::max's rule: a NaN first value stays
  }
  float sum = 0.f;
  for (int c = 0; c < channels; ++c) {
    const float e = expf(xp[int64_t(c) * inner] - m);
    yp[int64_t(c) * inner] = e;
    sum += e;
  }
  for (int c = 0; c < channels; ++c) yp[int64_t(c) * inner] /= sum;
}

}  // namespace cortado::gpu
