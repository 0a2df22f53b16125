// Swish's GPU half (its CPU half is libcore/layers/swish.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/swish.hpp"

namespace cortado::gpu {
namespace {

struct SwishForward {
  const float* x;
  float* s;
  float* y;
  float beta;
  __device__ void operator()(int64_t i) const {
    const float v = x[i];
    const float sv = 1.f / (1.f + expf(-beta * v));
    s[i] = sv;
    y[i] = v * sv;
  }
};

struct SwishBackward {
  const float* s;
  const float* y;
  const float* dy;
  float* dx;
  float beta;
  __device__ void operator()(int64_t i) const {
    dx[i] = dy[i] * (beta * y[i] + s[i] * (1.f - beta * y[i]));
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void SwishLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::for_each_index("swish_forward", bottom[0]->count(),
                      gpu::SwishForward{bottom[0]->gpu_data(), sigmoid_.mutable_gpu_data(),
                                        top[0]->mutable_gpu_data(), param_.swish_param().beta()});
}

void SwishLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index(
      "swish_backward", bottom[0]->count(),
      gpu::SwishBackward{sigmoid_.gpu_data(), top[0]->gpu_data(), top[0]->gpu_diff(),
                         bottom[0]->mutable_gpu_diff(), param_.swish_param().beta()});
}

}  // namespace cortado
