#include "layers/power.hpp"

#include <cmath>

namespace cortado {

void PowerLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.power_param();
  power_ = p.power();
  scale_ = p.scale();
  shift_ = p.shift();
  diff_scale_ = power_ * scale_;
}

void PowerLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  if (diff_scale_ == 0.f) {
    // power 0 or scale 0: the output ignores the input.
    const float value = power_ == 0.f ? 1.f : std::pow(shift_, power_);
    for (int i = 0; i < n; ++i) y[i] = value;
    return;
  }
  if (power_ != 1.f) keep_input(bottom, top);  // backward needs x unless dy/dx is constant
  const float* x = bottom[0]->data();
  if (power_ == 1.f) {
    for (int i = 0; i < n; ++i) y[i] = shift_ + scale_ * x[i];
  } else if (power_ == 2.f) {
    for (int i = 0; i < n; ++i) {
      const float b = shift_ + scale_ * x[i];
      y[i] = b * b;
    }
  } else {
    for (int i = 0; i < n; ++i) y[i] = std::pow(shift_ + scale_ * x[i], power_);
  }
}

void PowerLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  if (diff_scale_ == 0.f) {
    for (int i = 0; i < n; ++i) dx[i] = 0.f;
    return;
  }
  if (power_ == 1.f) {
    for (int i = 0; i < n; ++i) dx[i] = dy[i] * diff_scale_;
    return;
  }
  // dy/dx = power * scale * (shift + scale * x)^(power - 1), from x itself rather
  // than as y / (shift + scale * x), which is 0/0 where the base is 0.
  const float* x = kept_input(bottom, top);
  if (power_ == 2.f) {
    for (int i = 0; i < n; ++i) dx[i] = dy[i] * diff_scale_ * (shift_ + scale_ * x[i]);
  } else {
    for (int i = 0; i < n; ++i)
      dx[i] = dy[i] * diff_scale_ * std::pow(shift_ + scale_ * x[i], power_ - 1.f);
  }
}

}  // namespace cortado
