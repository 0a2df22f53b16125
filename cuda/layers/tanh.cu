// TanH's GPU half (its CPU half is libcore/layers/tanh.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/tanh.hpp"

namespace cortado::gpu {
namespace {

struct TanHForward {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = tanhf(x[i]); }
};

// Reads only y, so in place needs no copy of the input.
struct TanHBackward {
  const float* y;
  const float* dy;
  float* dx;
  __device__ void operator()(int64_t i) const { dx[i] = dy[i] * (1.f - y[i] * y[i]); }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void TanHLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::for_each_index("tanh_forward", bottom[0]->count(),
                      gpu::TanHForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data()});
}

void TanHLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index(
      "tanh_backward", bottom[0]->count(),
      gpu::TanHBackward{top[0]->gpu_data(), top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff()});
}

}  // namespace cortado
