// Log's GPU half (its CPU half is libcore/layers/log.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/log.hpp"

namespace cortado::gpu {
namespace {

// y = log(shift + scale * x) / ln(base)
struct LogForward {
  const float* x;
  float* y;
  float shift, scale, base_scale;
  __device__ void operator()(int64_t i) const { y[i] = logf(shift + scale * x[i]) * base_scale; }
};

// dy/dx = scale / ln(base) / (shift + scale * x)
struct LogBackward {
  const float* x;
  const float* dy;
  float* dx;
  float shift, scale, num;
  __device__ void operator()(int64_t i) const { dx[i] = dy[i] * num / (shift + scale * x[i]); }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void LogLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input_gpu(bottom, top);
  gpu::for_each_index("log_forward", bottom[0]->count(),
                      gpu::LogForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data(), shift_,
                                      scale_, base_scale_});
}

void LogLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index(
      "log_backward", bottom[0]->count(),
      gpu::LogBackward{kept_input_gpu(bottom, top), top[0]->gpu_diff(),
                       bottom[0]->mutable_gpu_diff(), shift_, scale_, scale_ * base_scale_});
}

}  // namespace cortado
