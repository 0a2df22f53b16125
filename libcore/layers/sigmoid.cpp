#include "layers/sigmoid.hpp"

#include <cmath>

namespace cortado {

void SigmoidLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  // The tanh form never overflows, unlike 1 / (1 + exp(-x)) for very negative x.
  for (int i = 0; i < n; ++i) y[i] = 0.5f * std::tanh(0.5f * x[i]) + 0.5f;
}

void SigmoidLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* y = top[0]->data();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.f - y[i]);
}

}  // namespace cortado
