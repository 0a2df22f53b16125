// ELU's GPU half (its CPU half is libcore/layers/elu.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/elu.hpp"

namespace cortado::gpu {
namespace {

struct ELUForward {
  const float* x;
  float* y;
  float alpha;
  __device__ void operator()(int64_t i) const {
    const float v = x[i];
    y[i] = v > 0.f ? v : alpha * (expf(v) - 1.f);
  }
};

// Below 0, d/dx alpha * (exp(x) - 1) = y + alpha.
struct ELUBackward {
  const float* x;
  const float* y;
  const float* dy;
  float* dx;
  float alpha;
  __device__ void operator()(int64_t i) const {
    dx[i] = x[i] > 0.f ? dy[i] : dy[i] * (y[i] + alpha);
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void ELULayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const float alpha = param_.elu_param().alpha();
  // With alpha >= 0, y > 0 exactly where x > 0, so backward can test y in place.
  if (alpha < 0) keep_input_gpu(bottom, top);
  gpu::for_each_index("elu_forward", bottom[0]->count(),
                      gpu::ELUForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data(), alpha});
}

void ELULayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float alpha = param_.elu_param().alpha();
  const float* x = alpha < 0 ? kept_input_gpu(bottom, top) : bottom[0]->gpu_data();
  gpu::for_each_index("elu_backward", bottom[0]->count(),
                      gpu::ELUBackward{x, top[0]->gpu_data(), top[0]->gpu_diff(),
                                       bottom[0]->mutable_gpu_diff(), alpha});
}

}  // namespace cortado
