#include "layers/relu.hpp"

#include <algorithm>

#include "math/parallel.hpp"

namespace cortado {

void ReLULayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float slope = param_.relu_param().negative_slope();
  // With slope >= 0, y has x's sign, so backward can read y in place of x;
  // a negative slope flips it, and the input must be kept.
  if (slope < 0) keep_input(bottom, top);
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  for_each_element(n, [=](long i) { y[i] = std::max(x[i], 0.f) + slope * std::min(x[i], 0.f); });
}

void ReLULayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float slope = param_.relu_param().negative_slope();
  const float* x = slope < 0 ? kept_input(bottom, top) : bottom[0]->data();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  for_each_element(n, [=](long i) { dx[i] = dy[i] * (x[i] > 0 ? 1.f : slope); });
}

}  // namespace cortado
