#include "cuda/layers/relu.cuh"
#include "cuda/layers/relu.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/relu.hpp"

namespace cortado::gpu {
namespace {

__global__ void relu_forward_kernel(int64_t n, const float* x, float* y, float slope) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, n) { y[i] = relu_value(x[i], slope); }
}

__global__ void relu_backward_kernel(int64_t n, const float* x, const float* dy, float* dx,
                                     float slope) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, n) { dx[i] = dy[i] * relu_slope_at(x[i], slope); }
}

}  // namespace

void relu_forward(int n, const float* x, float* y, float negative_slope) {
  if (n <= 0) return;
  Context& ctx = Context::get();
  launch("relu_forward", relu_forward_kernel, blocks_for(n), kThreads, ctx.stream(), n, x, y,
         negative_slope);
}

void relu_backward(int n, const float* x, const float* dy, float* dx, float negative_slope) {
  if (n <= 0) return;
  Context& ctx = Context::get();
  launch("relu_backward", relu_backward_kernel, blocks_for(n), kThreads, ctx.stream(), n, x, dy, dx,
         negative_slope);
}

}  // namespace cortado::gpu

// The layer's GPU half (its CPU half is libcore/layers/relu.cpp).
namespace cortado {

void ReLULayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (fused_into_previous_) return;
  const float slope = param_.relu_param().negative_slope();
  if (slope < 0) keep_input_gpu(bottom, top);
  gpu::relu_forward(bottom[0]->count(), bottom[0]->gpu_data(), top[0]->mutable_gpu_data(), slope);
}

void ReLULayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0] || fused_into_previous_) return;
  const float slope = param_.relu_param().negative_slope();
  const float* x = slope < 0 ? kept_input_gpu(bottom, top) : bottom[0]->gpu_data();
  gpu::relu_backward(bottom[0]->count(), x, top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff(),
                     slope);
}

}  // namespace cortado
