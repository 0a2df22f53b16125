// Sigmoid's GPU half (its CPU half is libcore/layers/sigmoid.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/sigmoid.hpp"

namespace cortado::gpu {
namespace {

// The tanh form, as on the CPU: it never overflows for very negative x.
struct SigmoidForward {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = 0.5f * tanhf(0.5f * x[i]) + 0.5f; }
};

// Reads only y, so in place needs no copy of the input.
struct SigmoidBackward {
  const float* y;
  const float* dy;
  float* dx;
  __device__ void operator()(int64_t i) const { dx[i] = dy[i] * y[i] * (1.f - y[i]); }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void SigmoidLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::for_each_index("sigmoid_forward", bottom[0]->count(),
                      gpu::SigmoidForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data()});
}

void SigmoidLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index(
      "sigmoid_backward", bottom[0]->count(),
      gpu::SigmoidBackward{top[0]->gpu_data(), top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff()});
}

}  // namespace cortado
