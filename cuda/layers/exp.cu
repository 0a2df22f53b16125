// Exp's GPU half (its CPU half is libcore/layers/exp.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/exp.hpp"

namespace cortado::gpu {
namespace {

// y = outer * exp(inner * x)
struct ExpForward {
  const float* x;
  float* y;
  float inner, outer;
  __device__ void operator()(int64_t i) const { y[i] = outer * expf(inner * x[i]); }
};

// dy/dx = inner * y: reads only y, so in place needs no copy of the input.
struct ExpBackward {
  const float* y;
  const float* dy;
  float* dx;
  float inner;
  __device__ void operator()(int64_t i) const { dx[i] = dy[i] * y[i] * inner; }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void ExpLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::for_each_index("exp_forward", bottom[0]->count(),
                      gpu::ExpForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data(),
                                      inner_scale_, outer_scale_});
}

void ExpLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index("exp_backward", bottom[0]->count(),
                      gpu::ExpBackward{top[0]->gpu_data(), top[0]->gpu_diff(),
                                       bottom[0]->mutable_gpu_diff(), inner_scale_});
}

}  // namespace cortado
