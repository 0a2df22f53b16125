// Reduction's GPU half (its CPU half is libcore/layers/reduction.cpp): a block per
// row sums in double, in a fixed order, as the CPU does (an empty row sums to 0).
#include <cmath>

#include "cuda/layers/channel_sum.cuh"
#include "cuda/layers/elementwise.cuh"
#include "layers/reduction.hpp"

namespace cortado::gpu {
namespace {

// The enumerators, not ReductionParameter's static members, in device code.
constexpr int kAsum = caffe::ReductionParameter_ReductionOp_ASUM;
constexpr int kSumsq = caffe::ReductionParameter_ReductionOp_SUMSQ;

struct ReducedTerm {
  const float* x;
  int op;
  float scale;
  __device__ double operator()(int64_t j) const {
    const double v = x[j];
    return (op == kAsum ? fabs(v) : op == kSumsq ? v * v : v) * scale;
  }
};

struct ReductionBackward {
  const float* x;
  const float* dy;
  float* dx;
  int64_t dim;
  int op;
  float scale;
  __device__ void operator()(int64_t j) const {
    const float g = dy[j / dim] * scale, v = x[j];
    dx[j] = op == kAsum    ? g * static_cast<float>((v > 0.f) - (v < 0.f))
            : op == kSumsq ? 2.f * v * g
                           : g;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void ReductionLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int op = param_.reduction_param().operation();
  gpu::channel_sum("reduction_forward", 1, rows_, dim_,
                   gpu::ReducedTerm{bottom[0]->gpu_data(), op, scale()}, top[0]->mutable_gpu_data(),
                   false);
}

void ReductionLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index("reduction_backward", bottom[0]->count(),
                      gpu::ReductionBackward{
                          bottom[0]->gpu_data(), top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff(),
                          dim_, static_cast<int>(param_.reduction_param().operation()), scale()});
}

}  // namespace cortado
