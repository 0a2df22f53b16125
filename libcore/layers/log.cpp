#include "layers/log.hpp"

#include <cmath>

#include "util/error.hpp"

namespace cortado {

void LogLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.log_param();
  const float base = p.base();
  if (base != -1.f && !(base > 0.f))
    throw Error(where(), "log_param.base must be -1 (meaning e) or positive, got " +
                             std::to_string(base));
  if (base == 1.f) throw Error(where(), "log_param.base 1 has no logarithm");
  base_scale_ = base == -1.f ? 1.f : 1.f / std::log(base);
  scale_ = p.scale();
  shift_ = p.shift();
}

void LogLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input(bottom, top);
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) y[i] = std::log(shift_ + scale_ * x[i]) * base_scale_;
}

void LogLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* x = kept_input(bottom, top);
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  const float num = scale_ * base_scale_;
  for (int i = 0; i < n; ++i) dx[i] = dy[i] * num / (shift_ + scale_ * x[i]);
}

}  // namespace cortado
