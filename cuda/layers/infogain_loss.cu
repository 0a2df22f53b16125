// InfogainLoss's GPU half (its CPU half is libcore/layers/infogain_loss.cpp). The softmax
// runs as the inner Softmax layer's device code; one block then sums the loss in a fixed
// order (so that two runs give the same bits) and H's row sums for backward. A label
// outside [0, classes) is an Error as on the CPU: eager mode reads the first bad
// position back; graph mode leaves it in the layer's error slot for the solver to raise.
#include <climits>
#include <cstdint>
#include <cstring>

#include "blob/device_memory.hpp"
#include "cuda/layers/block_total.cuh"
#include "cuda/layers/label_error.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/graph_slots.hpp"
#include "layers/infogain_loss.hpp"
#include "layers/loss_normalization.hpp"
#include "layers/softmax.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

// Caffe's kLOG_THRESHOLD: the smallest probability taken into the log.
constexpr float kMinProb = 1e-20f;

struct InfogainRule {
  int outer, classes, inner;
  bool has_ignore;
  int ignore;
  __device__ bool ignored(int label) const { return has_ignore && label == ignore; }
  __device__ bool in_range(int label) const { return label >= 0 && label < classes; }
};

// stats: [0] (int) the first position whose label is out of range, INT_MAX if none;
// [1] the normalizer: the labelled count (VALID, at least 1) or `fixed_norm`;
// [2, 2 + classes) the sums of H's rows. loss[0] = -sum over labelled positions of
// sum_l H[label, l] log(max(p[l], 1e-20)), over the normalizer. With `error` (graph
// mode) also the bad position + 1 (0: none) and the label there.
__global__ void __launch_bounds__(kTotalThreads)
    infogain_forward_kernel(InfogainRule r, bool valid_norm, float fixed_norm, const float* p,
                            const float* labels, const float* h, float* loss, float* stats,
                            int* error) {
  chain_wait();
  for (int c = threadIdx.x; c < r.classes; c += kTotalThreads) {
    float s = 0.f;
    for (int l = 0; l < r.classes; ++l) s += h[int64_t(c) * r.classes + l];
    stats[2 + c] = s;
  }
  float sum = 0.f;
  int valid = 0, bad = INT_MAX;
  const int64_t positions = int64_t(r.outer) * r.inner;
  for (int64_t q = threadIdx.x; q < positions; q += kTotalThreads) {
    const int label = static_cast<int>(labels[q]);
    if (r.ignored(label)) continue;
    if (!r.in_range(label)) {
      bad = min(bad, static_cast<int>(q));
      continue;
    }
    const float* row = h + int64_t(label) * r.classes;
    const float* pq = p + (q / r.inner) * r.classes * r.inner + q % r.inner;
    for (int l = 0; l < r.classes; ++l) {
      const float v = pq[int64_t(l) * r.inner];
      sum -= row[l] * logf(v < kMinProb ? kMinProb : v);  // std::max's rule: NaN stays NaN
    }
    ++valid;
  }
  sum = block_total(sum);
  valid = block_total(valid);
  bad = block_min(bad);
  if (threadIdx.x != 0) return;
  const float norm = valid_norm ? fmaxf(1.f, static_cast<float>(valid)) : fixed_norm;
  loss[0] = sum / norm;
  stats[1] = norm;
  reinterpret_cast<int*>(stats)[0] = bad;
  if (!error) return;
  report_bad_label(bad, labels, error);
}

// dx = (p * rowsum(H[label]) - H[label, l]) * weight / normalizer (the softmax's
// Jacobian folded in), 0 where the label is ignored, and where it is out of range:
// backward runs after such a forward only in graph mode, whose failed step is dropped.
__global__ void infogain_backward_kernel(int64_t count, InfogainRule r, const float* p,
                                         const float* labels, const float* h, const float* stats,
                                         const float* loss_weight, float* dx) {
  chain_wait();
  const float scale = loss_weight[0] / stats[1];
  CORTADO_KERNEL_LOOP(k, count) {
    const int64_t j = k % r.inner, l = (k / r.inner) % r.classes;
    const int64_t i = k / (int64_t(r.classes) * r.inner);
    const int label = static_cast<int>(labels[i * r.inner + j]);
    dx[k] = r.ignored(label) || !r.in_range(label)
                ? 0.f
                : (p[k] * stats[2 + label] - h[int64_t(label) * r.classes + l]) * scale;
  }
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void InfogainLossLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  softmax_->set_mode(Mode::gpu);
  softmax_->forward({bottom[0]}, {&prob_});
  stats_.reshape({2 + num_labels_});
  const gpu::InfogainRule rule{outer_, num_labels_, inner_, has_ignore_label_, ignore_label_};
  const Blob& h = bottom.size() >= 3 ? *bottom[2] : infogain_;
  gpu::launch("infogain_loss_forward", gpu::infogain_forward_kernel, 1, gpu::kTotalThreads,
              gpu::Context::get().stream(), rule, normalization_ == caffe::LossParameter::VALID,
              loss_normalizer(normalization_, outer_, inner_, 0), prob_.gpu_data(),
              bottom[1]->gpu_data(), h.gpu_data(), top[0]->mutable_gpu_data(),
              stats_.mutable_gpu_data(), graph_slots_ ? graph_slots_->error : nullptr);
  if (top.size() > 1)
    device::copy_on_device(top[1]->mutable_gpu_data(), prob_.gpu_data(),
                           sizeof(float) * size_t(prob_.count()));
  if (graph_slots_) return;  // the solver raises a bad label after the replay
  int bad = 0;
  std::memcpy(&bad, stats_.data(), sizeof bad);  // waits for the device
  if (bad != INT_MAX) raise_bad_label(static_cast<int>(bottom[1]->data()[bad]), bad, num_labels_);
}

void InfogainLossLayer::raise_graph_error(int code, int value) {
  raise_bad_label(value, code - 1, num_labels_);
}

void InfogainLossLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                     const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the label input");
  if (propagate_down.size() > 2 && propagate_down[2])
    throw Error(where(), "cannot backpropagate to the infogain matrix input");
  const int64_t count = prob_.count();
  if (!propagate_down[0] || count == 0) return;
  const gpu::InfogainRule rule{outer_, num_labels_, inner_, has_ignore_label_, ignore_label_};
  const Blob& h = bottom.size() >= 3 ? *bottom[2] : infogain_;
  gpu::launch("infogain_loss_backward", gpu::infogain_backward_kernel, gpu::blocks_for(count),
              gpu::kThreads, gpu::Context::get().stream(), count, rule, prob_.gpu_data(),
              bottom[1]->gpu_data(), h.gpu_data(), stats_.gpu_data(), top[0]->gpu_diff(),
              bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
