#include "layers/bnll.hpp"

#include <algorithm>
#include <cmath>

namespace cortado {

namespace {
// exp() of larger inputs only rounds the gradient to 1 (and would overflow).
constexpr float kExpCap = 50.f;
}  // namespace

void BNLLLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input(bottom, top);
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  // log(1 + e^x) = x + log(1 + e^-x): take the form whose exponent is <= 0.
  for (int i = 0; i < n; ++i)
    y[i] = x[i] > 0 ? x[i] + std::log1p(std::exp(-x[i])) : std::log1p(std::exp(x[i]));
}

void BNLLLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* x = kept_input(bottom, top);
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) {
    const float e = std::exp(std::min(x[i], kExpCap));
    dx[i] = dy[i] * e / (e + 1.f);
  }
}

}  // namespace cortado
