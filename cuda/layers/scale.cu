// Scale's GPU half (its CPU half is libcore/layers/scale.cpp). The bottom is
// viewed as [outer][dim][inner], s and b as [dim].
#include "blob/device_memory.hpp"
#include "cuda/layers/channel_sum.cuh"
#include "cuda/layers/elementwise.cuh"
#include "layers/scale.hpp"

namespace cortado::gpu {
namespace {

// y = x * s[d] (+ b[d]); b may be null.
struct ScaleForward {
  const float* x;
  const float* s;
  const float* b;
  float* y;
  int dim, inner;
  __device__ void operator()(int64_t j) const {
    const int64_t d = (j / inner) % dim;
    y[j] = x[j] * s[d] + (b ? b[d] : 0.f);
  }
};

struct ScaleBackward {
  const float* dy;
  const float* s;
  float* dx;
  int dim, inner;
  __device__ void operator()(int64_t j) const { dx[j] = dy[j] * s[(j / inner) % dim]; }
};

struct DyTerm {
  const float* dy;
  __device__ double operator()(int64_t j) const { return dy[j]; }
};

struct DyXTerm {
  const float* dy;
  const float* x;
  __device__ double operator()(int64_t j) const { return double(dy[j]) * x[j]; }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void ScaleLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (top[0] == bottom[0]) {  // s's gradient needs the input that y overwrites
    input_copy_.reshape_like(*bottom[0]);
    device::copy_on_device(input_copy_.mutable_gpu_data(), bottom[0]->gpu_data(),
                           sizeof(float) * size_t(bottom[0]->count()));
  }
  const float* b = bias_index_ >= 0 ? blobs_[bias_index_]->gpu_data() : nullptr;
  gpu::for_each_index("scale_forward", bottom[0]->count(),
                      gpu::ScaleForward{bottom[0]->gpu_data(), scale(bottom).gpu_data(), b,
                                        top[0]->mutable_gpu_data(), dim_, inner_});
}

void ScaleLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  const float* dy = top[0]->gpu_diff();
  // Both parameter gradients read dy, which dx overwrites in place: they go first
  // (same stream, so they finish first). A parameter's diff accumulates; a bottom's
  // is overwritten.
  if (bias_index_ >= 0 && param_propagate_down(bias_index_))
    gpu::channel_sum("scale_bias_grad", outer_, dim_, inner_, gpu::DyTerm{dy},
                     blobs_[bias_index_]->mutable_gpu_diff(), true);
  const bool scale_is_bottom = bottom.size() > 1;
  if (scale_is_bottom ? propagate_down[1] : param_propagate_down(0)) {
    const float* x = top[0] == bottom[0] ? input_copy_.gpu_data() : bottom[0]->gpu_data();
    float* ds = scale_is_bottom ? bottom[1]->mutable_gpu_diff() : blobs_[0]->mutable_gpu_diff();
    gpu::channel_sum("scale_grad", outer_, dim_, inner_, gpu::DyXTerm{dy, x}, ds, !scale_is_bottom);
  }
  if (!propagate_down[0]) return;
  gpu::for_each_index("scale_backward", bottom[0]->count(),
                      gpu::ScaleBackward{dy, scale(bottom).gpu_data(),
                                         bottom[0]->mutable_gpu_diff(), dim_, inner_});
}

}  // namespace cortado
