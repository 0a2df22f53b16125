// Bias's GPU half (its CPU half is libcore/layers/bias.cpp). The bottom is viewed
// as [outer][dim][inner], b as [dim].
#include "blob/device_memory.hpp"
#include "cuda/layers/channel_sum.cuh"
#include "cuda/layers/elementwise.cuh"
#include "layers/bias.hpp"

namespace cortado::gpu {
namespace {

struct BiasForward {
  const float* x;
  const float* b;
  float* y;
  int dim, inner;
  __device__ void operator()(int64_t j) const { y[j] = x[j] + b[(j / inner) % dim]; }
};

struct DyTerm {
  const float* dy;
  __device__ double operator()(int64_t j) const { return dy[j]; }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void BiasLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::for_each_index("bias_forward", bottom[0]->count(),
                      gpu::BiasForward{bottom[0]->gpu_data(), bias(bottom).gpu_data(),
                                       top[0]->mutable_gpu_data(), dim_, inner_});
}

void BiasLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  const float* dy = top[0]->gpu_diff();
  // dx = dy; in place they are the same memory already.
  if (propagate_down[0] && top[0] != bottom[0] && top[0]->count() > 0)
    device::copy_on_device(bottom[0]->mutable_gpu_diff(), dy,
                           sizeof(float) * size_t(top[0]->count()));
  const bool bias_is_bottom = bottom.size() > 1;
  if (!(bias_is_bottom ? propagate_down[1] : param_propagate_down(0))) return;
  // A parameter's diff accumulates (iter_size sums passes); a bottom's is overwritten.
  float* db = bias_is_bottom ? bottom[1]->mutable_gpu_diff() : blobs_[0]->mutable_gpu_diff();
  gpu::channel_sum("bias_grad", outer_, dim_, inner_, gpu::DyTerm{dy}, db, !bias_is_bottom);
}

}  // namespace cortado
