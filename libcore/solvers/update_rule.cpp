#include "solvers/update_rule.hpp"

#include <cmath>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "util/error.hpp"
#include "util/log.hpp"

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
  const float clip = solver_.clip_gradients();
  if (clip < 0) return;
  float sumsq = 0;
  for (const Param& p : params_) sumsq += p.blob->sumsq_diff();
  const float norm = std::sqrt(sumsq);
  if (norm > clip) {
    const float scale = clip / norm;
    LOG_INFO("Gradient clipping: scaling down gradients (L2 norm {:g} > {:g}) by scale factor {:g}",
             norm, clip, scale);
    for (const Param& p : params_) p.blob->scale_diff(scale);
  }
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

}  // namespace cortado
