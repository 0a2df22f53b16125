#include "layers/exp.hpp"

#include <cmath>

#include "util/error.hpp"

namespace cortado {

void ExpLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.exp_param();
  const float base = p.base();
  if (base != -1.f && !(base > 0.f))
    throw Error(where(), "exp_param.base must be -1 (meaning e) or positive, got " +
                             std::to_string(base));
  // base^(shift + scale*x) = base^shift * exp(ln(base) * scale * x)
  const float log_base = base == -1.f ? 1.f : std::log(base);
  inner_scale_ = log_base * p.scale();
  outer_scale_ = p.shift() == 0.f ? 1.f
                 : base == -1.f   ? std::exp(p.shift())
                                  : std::pow(base, p.shift());
}

void ExpLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) y[i] = outer_scale_ * std::exp(inner_scale_ * x[i]);
}

void ExpLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* y = top[0]->data();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * inner_scale_;
}

}  // namespace cortado
