// SigmoidCrossEntropyLoss's GPU half (its CPU half is
// libcore/layers/sigmoid_cross_entropy_loss.cpp). One block sums the loss and the
// labelled count in a fixed order and writes the loss and its normalizer on the
// device; the base class reads the loss back.
#include <algorithm>
#include <cstdint>

#include "cuda/layers/block_total.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/loss_normalization.hpp"
#include "layers/sigmoid_cross_entropy_loss.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

struct TargetRule {
  bool has_ignore;
  int ignore;
  __device__ bool ignored(float t) const { return has_ignore && static_cast<int>(t) == ignore; }
};

// s = sigmoid(x); per labelled element, with p = (x >= 0):
//   -[t log s + (1 - t) log(1 - s)] = -(x (t - p) - log(1 + exp(x - 2 x p)))
// The normalizer is the labelled count (VALID) or `fixed_norm`.
__global__ void __launch_bounds__(kTotalThreads)
    sigmoid_ce_forward_kernel(int64_t count, TargetRule r, const float* x, const float* t,
                              bool valid_norm, float fixed_norm, float* s, float* loss,
                              float* normalizer) {
  chain_wait();
  float sum = 0.f;
  int valid = 0;
  for (int64_t i = threadIdx.x; i < count; i += kTotalThreads) {
    const float v = x[i];
    s[i] = 1.f / (1.f + expf(-v));
    if (r.ignored(t[i])) continue;
    const float pos = v >= 0 ? 1.f : 0.f;
    sum -= v * (t[i] - pos) - logf(1.f + expf(v - 2.f * v * pos));
    ++valid;
  }
  sum = block_total(sum);
  valid = block_total(valid);
  if (threadIdx.x == 0) {
    const float n = static_cast<float>(valid);
    const float norm = valid_norm ? (n < 1.f ? 1.f : n) : fixed_norm;
    normalizer[0] = norm;
    loss[0] = sum / norm;
  }
}

// dx = (s - t) * weight / normalizer, 0 where t is ignored
__global__ void sigmoid_ce_backward_kernel(int64_t count, TargetRule r, const float* s,
                                           const float* t, const float* loss_weight,
                                           const float* normalizer, float* dx) {
  chain_wait();
  const float scale = loss_weight[0] / normalizer[0];
  CORTADO_KERNEL_LOOP(i, count) { dx[i] = r.ignored(t[i]) ? 0.f : (s[i] - t[i]) * scale; }
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void SigmoidCrossEntropyLossLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int count = bottom[0]->count();
  const int outer = bottom[0]->shape(0);
  const bool valid_norm = normalization_ == caffe::LossParameter::VALID;
  const float fixed_norm = loss_normalizer(normalization_, outer, count / std::max(outer, 1), 0);
  normalizer_gpu_.reshape({1});
  gpu::launch("sigmoid_cross_entropy_forward", gpu::sigmoid_ce_forward_kernel, 1,
              gpu::kTotalThreads, gpu::Context::get().stream(), count,
              gpu::TargetRule{has_ignore_label_, ignore_label_}, bottom[0]->gpu_data(),
              bottom[1]->gpu_data(), valid_norm, fixed_norm, sigmoid_.mutable_gpu_data(),
              top[0]->mutable_gpu_data(), normalizer_gpu_.mutable_gpu_data());
}

void SigmoidCrossEntropyLossLayer::backward_gpu(const BlobVec& top,
                                                const std::vector<bool>& propagate_down,
                                                const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the target input");
  if (!propagate_down[0]) return;
  const int64_t count = bottom[0]->count();
  if (count == 0) return;
  gpu::launch("sigmoid_cross_entropy_backward", gpu::sigmoid_ce_backward_kernel,
              gpu::blocks_for(count), gpu::kThreads, gpu::Context::get().stream(), count,
              gpu::TargetRule{has_ignore_label_, ignore_label_}, sigmoid_.gpu_data(),
              bottom[1]->gpu_data(), top[0]->gpu_diff(), normalizer_gpu_.gpu_data(),
              bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
