// HingeLoss's GPU half (its CPU half is libcore/layers/hinge_loss.cpp). One block builds
// the margins and sums the loss in a fixed order, so that two runs give the same bits.
// A label outside [0, dim) is an Error as on the CPU: eager mode reads the first bad
// item back; graph mode leaves it in the layer's error slot for the solver to raise.
#include <climits>
#include <cstdint>
#include <cstring>

#include "cuda/layers/block_total.cuh"
#include "cuda/layers/label_error.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/graph_slots.hpp"
#include "layers/hinge_loss.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

// t = max(0, 1 + s), s negated at the label; loss[0] = sum(t) / num, or sum(t^2) / num
// (L2). first_bad[0] = the first item whose label is out of range, INT_MAX if none;
// with `error` (graph mode) also item + 1 (0: none) and the label there.
__global__ void __launch_bounds__(kTotalThreads)
    hinge_forward_kernel(int num, int dim, bool l2, const float* s, const float* labels, float* t,
                         float* loss, int* first_bad, int* error) {
  chain_wait();
  float sum = 0.f;
  int bad = INT_MAX;
  const int64_t count = int64_t(num) * dim;
  for (int64_t k = threadIdx.x; k < count; k += kTotalThreads) {
    const int64_t i = k / dim, c = k % dim;
    const int label = static_cast<int>(labels[i]);
    if (c == 0 && (label < 0 || label >= dim)) bad = min(bad, static_cast<int>(i));
    const float v = 1.f + (c == label ? -s[k] : s[k]);
    const float m = 0.f < v ? v : 0.f;  // std::max(0.f, v): NaN gives 0, as on the CPU
    t[k] = m;
    sum += l2 ? m * m : m;
  }
  sum = block_total(sum);
  bad = block_min(bad);
  if (threadIdx.x != 0) return;
  loss[0] = sum / num;
  first_bad[0] = bad;
  if (!error) return;
  report_bad_label(bad, labels, error);
}

// dx = (L1: t > 0 ? 1 : 0, L2: 2 t) * weight / num, negated at the label.
__global__ void hinge_backward_kernel(int64_t count, int num, int dim, bool l2, const float* t,
                                      const float* labels, const float* loss_weight, float* dx) {
  chain_wait();
  const float scale = loss_weight[0] / num;
  CORTADO_KERNEL_LOOP(k, count) {
    const float g = (l2 ? 2.f * t[k] : (t[k] > 0.f ? 1.f : 0.f)) * scale;
    dx[k] = k % dim == static_cast<int>(labels[k / dim]) ? -g : g;
  }
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void HingeLossLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int num = bottom[0]->shape(0), dim = bottom[0]->count(1);
  const bool l2 = param_.hinge_loss_param().norm() == caffe::HingeLossParameter::L2;
  first_bad_.reshape({1});
  int* first_bad = reinterpret_cast<int*>(first_bad_.mutable_gpu_data());
  gpu::launch("hinge_loss_forward", gpu::hinge_forward_kernel, 1, gpu::kTotalThreads,
              gpu::Context::get().stream(), num, dim, l2, bottom[0]->gpu_data(),
              bottom[1]->gpu_data(), margins_.mutable_gpu_data(), top[0]->mutable_gpu_data(),
              first_bad, graph_slots_ ? graph_slots_->error : nullptr);
  if (graph_slots_) return;  // the solver raises a bad label after the replay
  int bad = 0;
  std::memcpy(&bad, first_bad_.data(), sizeof bad);  // waits for the device
  if (bad != INT_MAX) raise_bad_label(static_cast<int>(bottom[1]->data()[bad]), bad, dim);
}

void HingeLossLayer::raise_graph_error(int code, int value) {
  raise_bad_label(value, code - 1, margins_.count(1));
}

void HingeLossLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the label input");
  const int64_t count = margins_.count();
  if (!propagate_down[0] || count == 0) return;
  const bool l2 = param_.hinge_loss_param().norm() == caffe::HingeLossParameter::L2;
  gpu::launch("hinge_loss_backward", gpu::hinge_backward_kernel, gpu::blocks_for(count),
              gpu::kThreads, gpu::Context::get().stream(), count, bottom[0]->shape(0),
              bottom[0]->count(1), l2, margins_.gpu_data(), bottom[1]->gpu_data(),
              top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
