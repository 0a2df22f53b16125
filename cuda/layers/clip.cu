// Clip's GPU half (its CPU half is libcore/layers/clip.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/clip.hpp"

namespace cortado::gpu {
namespace {

struct ClipForward {
  const float* x;
  float* y;
  float lo, hi;
  __device__ void operator()(int64_t i) const { y[i] = fmaxf(lo, fminf(x[i], hi)); }
};

struct ClipBackward {
  const float* x;
  const float* dy;
  float* dx;
  float lo, hi;
  __device__ void operator()(int64_t i) const { dx[i] = x[i] >= lo && x[i] <= hi ? dy[i] : 0.f; }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void ClipLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input_gpu(bottom, top);  // backward tests x against the ends
  const auto& p = param_.clip_param();
  gpu::for_each_index(
      "clip_forward", bottom[0]->count(),
      gpu::ClipForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data(), p.min(), p.max()});
}

void ClipLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const auto& p = param_.clip_param();
  gpu::for_each_index("clip_backward", bottom[0]->count(),
                      gpu::ClipBackward{kept_input_gpu(bottom, top), top[0]->gpu_diff(),
                                        bottom[0]->mutable_gpu_diff(), p.min(), p.max()});
}

}  // namespace cortado
