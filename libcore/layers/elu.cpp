#include "layers/elu.hpp"

#include <cmath>

namespace cortado {

void ELULayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float alpha = param_.elu_param().alpha();
  // With alpha >= 0, y > 0 exactly where x > 0, so backward can test y; not otherwise.
  if (alpha < 0) keep_input(bottom, top);
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : alpha * (std::exp(x[i]) - 1.f);
}

void ELULayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float alpha = param_.elu_param().alpha();
  const float* x = alpha < 0 ? kept_input(bottom, top) : bottom[0]->data();
  const float* y = top[0]->data();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  // d/dx alpha * (exp(x) - 1) = alpha * exp(x) = y + alpha.
  for (int i = 0; i < n; ++i) dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha);
}

}  // namespace cortado
