// MultinomialLogisticLoss's GPU half (its CPU half is
// libcore/layers/multinomial_logistic_loss.cpp). One block sums the loss in a fixed
// order, so that two runs give the same bits. A label outside [0, dim) is an Error as on
// the CPU: eager mode reads the first bad item back; graph mode leaves it in the layer's
// error slot for the solver to raise.
#include <climits>
#include <cstdint>
#include <cstring>

#include "cuda/layers/block_total.cuh"
#include "cuda/layers/label_error.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/graph_slots.hpp"
#include "layers/multinomial_logistic_loss.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

// Caffe's kLOG_THRESHOLD: the smallest probability taken into the log.
constexpr float kMinProb = 1e-20f;

// std::max(p, kMinProb): a NaN stays NaN, as on the CPU.
__device__ float floored(float p) { return p < kMinProb ? kMinProb : p; }

// loss[0] = -sum_i log(max(p[i, label_i], 1e-20)) / num. first_bad[0] = the first item
// whose label is out of range, INT_MAX if none; with `error` (graph mode) also item + 1
// (0: none) and the label there.
__global__ void __launch_bounds__(kTotalThreads)
    mll_forward_kernel(int num, int dim, const float* p, const float* labels, float* loss,
                       int* first_bad, int* error) {
  chain_wait();
  float sum = 0.f;
  int bad = INT_MAX;
  for (int i = threadIdx.x; i < num; i += kTotalThreads) {
    const int label = static_cast<int>(labels[i]);
    if (label < 0 || label >= dim)
      bad = min(bad, i);
    else
      sum -= logf(floored(p[int64_t(i) * dim + label]));
  }
  sum = block_total(sum);
  bad = block_min(bad);
  if (threadIdx.x != 0) return;
  loss[0] = sum / num;
  first_bad[0] = bad;
  if (!error) return;
  report_bad_label(bad, labels, error);
}

// dx = -(weight / num) / max(p, 1e-20) at the label, 0 elsewhere.
__global__ void mll_backward_kernel(int64_t count, int num, int dim, const float* p,
                                    const float* labels, const float* loss_weight, float* dx) {
  chain_wait();
  const float scale = -loss_weight[0] / num;
  CORTADO_KERNEL_LOOP(k, count) {
    dx[k] = k % dim == static_cast<int>(labels[k / dim]) ? scale / floored(p[k]) : 0.f;
  }
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void MultinomialLogisticLossLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int num = bottom[0]->shape(0);
  classes_ = bottom[0]->count(1);
  first_bad_.reshape({1});
  int* first_bad = reinterpret_cast<int*>(first_bad_.mutable_gpu_data());
  gpu::launch("multinomial_logistic_loss_forward", gpu::mll_forward_kernel, 1, gpu::kTotalThreads,
              gpu::Context::get().stream(), num, classes_, bottom[0]->gpu_data(),
              bottom[1]->gpu_data(), top[0]->mutable_gpu_data(), first_bad,
              graph_slots_ ? graph_slots_->error : nullptr);
  if (graph_slots_) return;  // the solver raises a bad label after the replay
  int bad = 0;
  std::memcpy(&bad, first_bad_.data(), sizeof bad);  // waits for the device
  if (bad != INT_MAX) raise_bad_label(static_cast<int>(bottom[1]->data()[bad]), bad, classes_);
}

void MultinomialLogisticLossLayer::raise_graph_error(int code, int value) {
  raise_bad_label(value, code - 1, classes_);
}

void MultinomialLogisticLossLayer::backward_gpu(const BlobVec& top,
                                                const std::vector<bool>& propagate_down,
                                                const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the label input");
  const int64_t count = bottom[0]->count();
  if (!propagate_down[0] || count == 0) return;
  gpu::launch("multinomial_logistic_loss_backward", gpu::mll_backward_kernel,
              gpu::blocks_for(count), gpu::kThreads, gpu::Context::get().stream(), count,
              bottom[0]->shape(0), bottom[0]->count(1), bottom[0]->gpu_data(),
              bottom[1]->gpu_data(), top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
