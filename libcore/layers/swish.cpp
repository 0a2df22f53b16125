#include "layers/swish.hpp"

#include <cmath>

namespace cortado {

void SwishLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  NeuronLayer::reshape(bottom, top);
  sigmoid_.reshape_like(*bottom[0]);
}

void SwishLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float beta = param_.swish_param().beta();
  const float* x = bottom[0]->data();
  float* s = sigmoid_.mutable_data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) {
    s[i] = 1.f / (1.f + std::exp(-beta * x[i]));
    y[i] = x[i] * s[i];
  }
}

void SwishLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float beta = param_.swish_param().beta();
  const float* s = sigmoid_.data();
  const float* y = top[0]->data();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) dx[i] = dy[i] * (beta * y[i] + s[i] * (1.f - beta * y[i]));
}

}  // namespace cortado
