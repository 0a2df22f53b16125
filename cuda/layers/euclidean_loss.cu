// EuclideanLoss's GPU half (its CPU half is libcore/layers/euclidean_loss.cpp). One
// block sums the squares in a fixed order and writes the loss on the device; the
// base class reads it back.
#include <cstdint>

#include "cuda/layers/block_total.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/euclidean_loss.hpp"

namespace cortado::gpu {
namespace {

// d = a - b; loss[0] = sum(d^2) / num / 2
__global__ void __launch_bounds__(kTotalThreads)
    euclidean_forward_kernel(int64_t count, int num, const float* a, const float* b, float* d,
                             float* loss) {
  chain_wait();
  float sum = 0.f;
  for (int64_t i = threadIdx.x; i < count; i += kTotalThreads) {
    const float v = a[i] - b[i];
    d[i] = v;
    sum += v * v;
  }
  sum = block_total(sum);
  if (threadIdx.x == 0) loss[0] = sum / static_cast<float>(num) / 2.f;
}

// g = sign * weight / num * d
__global__ void euclidean_backward_kernel(int64_t count, float sign, int num,
                                          const float* loss_weight, const float* d, float* g) {
  chain_wait();
  const float alpha = sign * loss_weight[0] / static_cast<float>(num);
  CORTADO_KERNEL_LOOP(i, count) { g[i] = alpha * d[i]; }
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void EuclideanLossLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::launch("euclidean_loss_forward", gpu::euclidean_forward_kernel, 1, gpu::kTotalThreads,
              gpu::Context::get().stream(), diff_.count(), bottom[0]->shape(0),
              bottom[0]->gpu_data(), bottom[1]->gpu_data(), diff_.mutable_gpu_data(),
              top[0]->mutable_gpu_data());
}

void EuclideanLossLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                      const BlobVec& bottom) {
  const int64_t count = diff_.count();
  for (int k = 0; k < 2; ++k) {
    if (!propagate_down[k] || count == 0) continue;
    gpu::launch("euclidean_loss_backward", gpu::euclidean_backward_kernel, gpu::blocks_for(count),
                gpu::kThreads, gpu::Context::get().stream(), count, k == 0 ? 1.f : -1.f,
                bottom[k]->shape(0), top[0]->gpu_diff(), diff_.gpu_data(),
                bottom[k]->mutable_gpu_diff());
  }
}

}  // namespace cortado
