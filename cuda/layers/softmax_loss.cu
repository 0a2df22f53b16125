// SoftmaxWithLoss's GPU half (its CPU half is libcore/layers/softmax_loss.cpp). The
// softmax runs as the inner Softmax layer's device code; the loss is summed by one
// block in a fixed order and read back once, together with the labelled count and
// the first out-of-range label (an Error, as on the CPU).
#include <cfloat>
#include <climits>
#include <cstdint>
#include <cstring>

#include "blob/device_memory.hpp"
#include "cuda/layers/block_total.cuh"
#include "cuda/layers/label_error.cuh"
#include "cuda/layers/softmax.cuh"
#include "cuda/layers/softmax.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/graph_slots.hpp"
#include "layers/loss_normalization.hpp"
#include "layers/softmax.hpp"
#include "layers/softmax_loss.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

struct LabelRule {
  int classes, inner;
  bool has_ignore;
  int ignore;
};

// Graph mode's end of forward, the host's arithmetic: loss = sum / max(1, normalizer),
// the normalizer being the labelled count (VALID) or `fixed_norm`; a bad label leaves
// its position + 1 in error[0] (0: none) and its value in error[1] for the solver to
// raise. Done by the stats kernel's thread 0 at its end, so that it is not a launch of
// its own. With `total`, also Layer::forward's weighted sum (gpu::add_weighted_loss
// with one loss top): *total += loss * weight[0], rounded as that kernel rounds.
struct Finish {
  bool valid_norm;
  float fixed_norm;
  float* loss;  // nullptr: eager mode, the host reads the stats back
  int* error;
  float* total;
  const float* weight;
};

// One block: stats[0] = sum of -log(max(p[label], FLT_MIN)) over labelled positions,
// stats[1] (int) = their count, stats[2] (int) = the first position whose label is
// outside [0, classes), INT_MAX if none; then, in graph mode, `finish`. With `scores`,
// each thread first computes its positions' softmax from them into prob (a launch less
// for small problems; the same code as the Softmax layer's kernel, so the same bits).
__global__ void __launch_bounds__(kTotalThreads)
    softmax_loss_stats_kernel(int64_t positions, LabelRule r, const float* scores, float* prob,
                              const float* labels, float* stats, Finish finish) {
  chain_wait();
  float loss = 0.f;
  int valid = 0, bad = INT_MAX;
  for (int64_t p = threadIdx.x; p < positions; p += kTotalThreads) {
    const int64_t base = (p / r.inner) * r.classes * r.inner + p % r.inner;
    if (scores) softmax_position(r.classes, r.inner, scores + base, prob + base);
    const int label = static_cast<int>(labels[p]);
    if (r.has_ignore && label == r.ignore) continue;
    if (label < 0 || label >= r.classes) {
      bad = min(bad, static_cast<int>(p));
      continue;
    }
    const float q = prob[base + int64_t(label) * r.inner];
    loss -= logf(q < FLT_MIN ? FLT_MIN : q);  // std::max's rule: NaN stays NaN
    ++valid;
  }
  loss = block_total(loss);
  valid = block_total(valid);
  bad = block_min(bad);
  if (threadIdx.x != 0) return;
  stats[0] = loss;
  reinterpret_cast<int*>(stats)[1] = valid;
  reinterpret_cast<int*>(stats)[2] = bad;
  if (!finish.loss) return;
  const float norm = finish.valid_norm ? fmaxf(1.f, static_cast<float>(valid)) : finish.fixed_norm;
  const float top = loss / norm;
  finish.loss[0] = top;
  report_bad_label(bad, labels, finish.error);
  if (finish.total) *finish.total += __fadd_rn(0.f, __fmul_rn(top, finish.weight[0]));
}

// dx = (p - onehot(label)) * weight / normalizer, 0 at ignored positions. The
// normalizer is the labelled count from `stats` (VALID) or `fixed_norm`.
__global__ void softmax_loss_grad_kernel(int64_t count, LabelRule r, const float* prob,
                                         const float* labels, const float* stats, bool valid_norm,
                                         float fixed_norm, const float* loss_weight, float* dx) {
  chain_wait();
  const float valid = static_cast<float>(reinterpret_cast<const int*>(stats)[1]);
  const float norm = valid_norm ? (valid < 1.f ? 1.f : valid) : fixed_norm;
  const float scale = loss_weight[0] / norm;
  CORTADO_KERNEL_LOOP(k, count) {
    const int64_t j = k % r.inner, c = (k / r.inner) % r.classes;
    const int64_t i = k / (int64_t(r.classes) * r.inner);
    const int label = static_cast<int>(labels[i * r.inner + j]);
    if (r.has_ignore && label == r.ignore)
      dx[k] = 0.f;
    else
      dx[k] = (prob[k] - (c == label ? 1.f : 0.f)) * scale;
  }
}

void softmax_loss_stats(int64_t positions, const LabelRule& r, const float* scores, float* prob,
                        const float* labels, float* stats, const Finish& finish) {
  launch("softmax_loss_stats", softmax_loss_stats_kernel, 1, kTotalThreads, Context::get().stream(),
         positions, r, scores, prob, labels, stats, finish);
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

bool SoftmaxWithLossLayer::sums_graph_loss(const BlobVec& top) const {
  return loss(0) != 0.f && (top.size() < 2 || loss(1) == 0.f);
}

void SoftmaxWithLossLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int64_t positions = int64_t(outer_) * inner_;
  // Small problems (LeNet's 64 x 10) get the softmax in the stats kernel, a launch
  // less, where the Softmax layer would take its per-position kernel anyway.
  const bool fused =
      gpu::softmax_by_position(inner_, channels_) && positions <= 4 * gpu::kTotalThreads;
  if (!fused) {
    softmax_->set_mode(Mode::gpu);
    softmax_->forward({bottom[0]}, {&prob_});
  }
  stats_.reshape({3});
  const gpu::LabelRule rule{channels_, inner_, has_ignore_label_, ignore_label_};
  // Graph mode: no read back; the kernel ends forward on the device (with the weighted
  // loss: sums_graph_loss) and the solver raises a bad label after the replay.
  gpu::Finish finish{normalization_ == caffe::LossParameter::VALID,
                     loss_normalizer(normalization_, outer_, inner_, 0),
                     nullptr,
                     nullptr,
                     nullptr,
                     nullptr};
  if (graph_slots_) {
    finish.loss = top[0]->mutable_gpu_data();
    finish.error = graph_slots_->error;
    if (sums_graph_loss(top)) {
      finish.total = graph_slots_->loss;
      finish.weight = top[0]->gpu_diff();
    }
  }
  gpu::softmax_loss_stats(positions, rule, fused ? bottom[0]->gpu_data() : nullptr,
                          prob_.mutable_gpu_data(), bottom[1]->gpu_data(),
                          stats_.mutable_gpu_data(), finish);
  if (graph_slots_) {
    if (top.size() > 1)
      device::copy_on_device(top[1]->mutable_gpu_data(), prob_.gpu_data(),
                             sizeof(float) * size_t(prob_.count()));
    return;
  }
  const float* s = stats_.data();  // waits for the device: the pass's one read back
  int valid = 0, bad = 0;
  std::memcpy(&valid, s + 1, sizeof valid);
  std::memcpy(&bad, s + 2, sizeof bad);
  if (bad != INT_MAX) label_at(bottom[1]->data(), bad / inner_, bad % inner_);  // throws
  top[0]->mutable_data()[0] = s[0] / loss_normalizer(normalization_, outer_, inner_, valid);
  if (top.size() > 1)
    device::copy_on_device(top[1]->mutable_gpu_data(), prob_.gpu_data(),
                           sizeof(float) * size_t(prob_.count()));
}

void SoftmaxWithLossLayer::raise_graph_error(int code, int value) {
  raise_bad_label(value, code - 1, channels_);
}

void SoftmaxWithLossLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                        const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the label input");
  if (!propagate_down[0]) return;
  const gpu::LabelRule rule{channels_, inner_, has_ignore_label_, ignore_label_};
  const float* labels = bottom[1]->gpu_data();
  // The labelled count is forward's (stats_): backward follows the forward of the
  // same labels, and one launch less counts in a small net's step.
  CORTADO_ASSERT(stats_.count() == 3);
  const int64_t count = prob_.count();
  if (count <= 0) return;
  const bool valid_norm = normalization_ == caffe::LossParameter::VALID;
  const float fixed_norm = loss_normalizer(normalization_, outer_, inner_, 0);
  gpu::launch("softmax_loss_grad", gpu::softmax_loss_grad_kernel, gpu::blocks_for(count),
              gpu::kThreads, gpu::Context::get().stream(), count, rule, prob_.gpu_data(), labels,
              stats_.gpu_data(), valid_norm, fixed_norm, top[0]->gpu_diff(),
              bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
