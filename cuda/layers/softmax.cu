#include <cstdint>

#include "cuda/layers/softmax.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/launch.cuh"
#include "layers/softmax.hpp"

namespace cortado::gpu {
namespace {

// Position p = (i, j) reads channel c at i * channels * inner + c * inner + j. The
// passes run in the CPU's order (max, exp and sum by increasing c, divide), so the
// results differ from it only by expf's rounding. Each element is read before it is
// written, so x may be y.
__global__ void softmax_forward_kernel(int64_t positions, int channels, int inner, const float* x,
                                       float* y) {
  CORTADO_KERNEL_LOOP(p, positions) {
    const int64_t base = (p / inner) * channels * inner + p % inner;
    const float* xp = x + base;
    float* yp = y + base;
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
}

__global__ void softmax_backward_kernel(int64_t positions, int channels, int inner, const float* y,
                                        const float* dy, float* dx) {
  CORTADO_KERNEL_LOOP(p, positions) {
    const int64_t base = (p / inner) * channels * inner + p % inner;
    float dot = 0.f;
    for (int c = 0; c < channels; ++c) {
      const int64_t k = base + int64_t(c) * inner;
      dot += dy[k] * y[k];
    }
    for (int c = 0; c < channels; ++c) {
      const int64_t k = base + int64_t(c) * inner;
      dx[k] = (dy[k] - dot) * y[k];
    }
  }
}

}  // namespace

void softmax_forward(int outer, int channels, int inner, const float* x, float* y) {
  const int64_t positions = int64_t(outer) * inner;
  if (positions <= 0 || channels <= 0) return;
  softmax_forward_kernel<<<blocks_for(positions), kThreads, 0, Context::get().stream()>>>(
      positions, channels, inner, x, y);
  check_launch("softmax_forward");
}

void softmax_backward(int outer, int channels, int inner, const float* y, const float* dy,
                      float* dx) {
  const int64_t positions = int64_t(outer) * inner;
  if (positions <= 0 || channels <= 0) return;
  softmax_backward_kernel<<<blocks_for(positions), kThreads, 0, Context::get().stream()>>>(
      positions, channels, inner, y, dy, dx);
  check_launch("softmax_backward");
}

}  // namespace cortado::gpu

// The layer's GPU half (its CPU half is libcore/layers/softmax.cpp).
namespace cortado {

void SoftmaxLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::softmax_forward(outer_, channels_, inner_, bottom[0]->gpu_data(),
                       top[0]->mutable_gpu_data());
}

void SoftmaxLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::softmax_backward(outer_, channels_, inner_, top[0]->gpu_data(), top[0]->gpu_diff(),
                        bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
