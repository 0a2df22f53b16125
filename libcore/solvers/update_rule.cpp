#include "solvers/update_rule.hpp"

#include <cmath>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "util/error.hpp"
#include "util/log.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/gradient_ops.hpp"
#include "cuda/solvers/update_kernels.hpp"
#endif

namespace cortado {

UpdateRule::UpdateRule(const caffe::SolverParameter& solver, std::vector<Param> params)
    : solver_(solver), params_(std::move(params)) {}

UpdateRule::~UpdateRule() = default;

void UpdateRule::init_history() {
  history_.clear();
  for (int set = 0; set < history_sets(); ++set)
    for (const Param& p : params_) {
      auto h = std::make_shared<Blob>(p.blob->shape());
      h->set_data(0.f);
      history_.push_back(std::move(h));
    }
}

void UpdateRule::apply(float rate, int iter) {
#ifdef CORTADO_WITH_CUDA
  if (on_gpu_) {
    apply_gpu(rate, iter);
    return;
  }
#endif
  clip_gradients();
  for (int id = 0; id < static_cast<int>(params_.size()); ++id) {
    if (params_[id].lr_mult == 0.f) continue;
    normalize(id);
    regularize(id);
    compute_update_value(id, rate * params_[id].lr_mult, iter);
  }
  for (const Param& p : params_)
    if (p.lr_mult != 0.f) p.blob->update();
}

void UpdateRule::clip_gradients() {
  if (solver_.clip_gradients() < 0) return;
  float sumsq = 0;
  for (const Param& p : params_) sumsq += p.blob->sumsq_diff();
  const float scale = clip_scale(sumsq);
  if (scale != 1.f)
    for (const Param& p : params_) p.blob->scale_diff(scale);
}

float UpdateRule::clip_scale(float sumsq) const {
  const float clip = solver_.clip_gradients();
  const float norm = std::sqrt(sumsq);
  if (!(norm > clip)) return 1.f;
  const float scale = clip / norm;
  LOG_INFO("Gradient clipping: scaling down gradients (L2 norm {:g} > {:g}) by scale factor {:g}",
           norm, clip, scale);
  return scale;
}

void UpdateRule::log_clip(float norm, float scale) const {
  if (solver_.clip_gradients() < 0 || !(norm > solver_.clip_gradients())) return;
  LOG_INFO("Gradient clipping: scaling down gradients (L2 norm {:g} > {:g}) by scale factor {:g}",
           norm, solver_.clip_gradients(), scale);
}

size_t UpdateRule::clip_scratch_bytes() const {
#ifdef CORTADO_WITH_CUDA
  std::vector<int> counts;
  for (const Param& p : params_) counts.push_back(p.blob->count());
  return gpu::clip_scratch_bytes(counts);
#else
  return 0;
#endif
}

void UpdateRule::normalize(int id) {
  if (solver_.iter_size() != 1) params_[id].blob->scale_diff(1.f / solver_.iter_size());
}

void UpdateRule::regularize(int id) {
  const float decay = solver_.weight_decay() * params_[id].decay_mult;
  if (decay == 0.f) return;
  Blob& b = *params_[id].blob;
  const float* w = b.data();
  float* g = b.mutable_diff();
  const int n = b.count();
  if (solver_.regularization_type() == "L2") {
    for (int i = 0; i < n; ++i) g[i] += decay * w[i];
  } else {  // "L1", checked by check_update_rule
    for (int i = 0; i < n; ++i) g[i] += decay * static_cast<float>((0.f < w[i]) - (w[i] < 0.f));
  }
}

#ifdef CORTADO_WITH_CUDA
// apply() on the device: the clip norm is the one value read back; every other
// step (iter_size, decay, the rule, data -= diff) is in the fused kernel, one launch
// for all parameters.
void UpdateRule::apply_gpu(float rate, int iter) {
  gpu::DiffPrep prep;
  const bool graph = graph_.rate != nullptr;
  if (graph) {
    // Graph mode: the rate and the clip scale come from device memory (see set_graph_scalars).
    prep.rate_factor = graph_.rate;
    prep.hold = graph_.hold;
    prep.loss = graph_.loss;
    prep.errors = graph_.errors;
    prep.layers = graph_.layers;
    if (solver_.clip_gradients() >= 0) {
      std::vector<std::pair<const float*, int>> diffs;
      for (const Param& p : params_) diffs.emplace_back(p.blob->gpu_diff(), p.blob->count());
      gpu::clip_scale_on_device(diffs, solver_.clip_gradients(), graph_.scratch, graph_.clip);
      prep.clip_scale_dev = graph_.clip;
    }
  } else {
    prep.clip_scale = gpu_clip_scale();
  }
  if (solver_.iter_size() != 1) prep.norm_scale = 1.f / solver_.iter_size();
  prep.l1 = solver_.regularization_type() == "L1";
  const bool two_histories = history_sets() == 2;
  std::vector<gpu::UpdateSlot> slots;
  slots.reserve(params_.size());
  for (size_t id = 0; id < params_.size(); ++id) {
    Blob& b = *params_[id].blob;
    if (params_[id].lr_mult == 0.f) {
      // The CPU clips frozen diffs too; they are not used, but tests compare them.
      if (prep.clip_scale_dev)
        gpu::scale_by_device(b.count(), b.mutable_gpu_diff(), prep.clip_scale_dev);
      else if (prep.clip_scale != 1.f)
        gpu::scale(b.count(), b.mutable_gpu_diff(), prep.clip_scale);
      continue;
    }
    if (b.count() == 0) continue;
    gpu::UpdateSlot slot;
    slot.data = b.mutable_gpu_data();
    slot.diff = b.mutable_gpu_diff();
    slot.history = history_[id]->mutable_gpu_data();
    if (two_histories) slot.history2 = history_[params_.size() + id]->mutable_gpu_data();
    slot.count = b.count();
    // Graph mode: the kernel multiplies the lr_mult by the device factor, rate_factor(rate).
    slot.rate = graph ? params_[id].lr_mult : rate_factor(rate * params_[id].lr_mult, iter);
    slot.decay = solver_.weight_decay() * params_[id].decay_mult;
    slots.push_back(slot);
  }
  gpu::update_params(slots, gpu_rule(), prep);
}

float UpdateRule::gpu_clip_scale() {
  if (solver_.clip_gradients() < 0) return 1.f;
  std::vector<std::pair<const float*, int>> diffs;
  for (const Param& p : params_) diffs.emplace_back(p.blob->gpu_diff(), p.blob->count());
  // Summed as the CPU does: each blob's double sum rounded to float, added in order.
  float sumsq = 0;
  for (double s : gpu::sums_of_squares(diffs)) sumsq += static_cast<float>(s);
  return clip_scale(sumsq);
}
#endif

}  // namespace cortado
