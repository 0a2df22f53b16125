// Threshold's GPU half (its CPU half is libcore/layers/threshold.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/threshold.hpp"

namespace cortado::gpu {
namespace {

struct ThresholdForward {
  const float* x;
  float* y;
  float t;
  __device__ void operator()(int64_t i) const { y[i] = x[i] > t ? 1.f : 0.f; }
};

struct Zero {
  float* dx;
  __device__ void operator()(int64_t i) const { dx[i] = 0.f; }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void ThresholdLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::for_each_index("threshold_forward", bottom[0]->count(),
                      gpu::ThresholdForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data(),
                                            param_.threshold_param().threshold()});
}

// Zero slope almost everywhere, as on the CPU.
void ThresholdLayer::backward_gpu(const BlobVec& /*top*/, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index("threshold_backward", bottom[0]->count(),
                      gpu::Zero{bottom[0]->mutable_gpu_diff()});
}

}  // namespace cortado
