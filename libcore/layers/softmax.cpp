#include "layers/softmax.hpp"

#include <algorithm>
#include <cmath>

namespace cortado {

void SoftmaxLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const int axis = bottom[0]->canonical_axis(param_.softmax_param().axis());
  outer_ = bottom[0]->count(0, axis);
  channels_ = bottom[0]->shape(axis);
  inner_ = bottom[0]->count(axis + 1);
  if (top[0] != bottom[0]) top[0]->reshape_like(*bottom[0]);
  scratch_.resize(inner_);
}

// Loops run channel-major with the inner index innermost, so every pass over a
// spatial map is contiguous. In-place use is safe: each element is read before
// the same element is written.
void SoftmaxLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int dim = channels_ * inner_;
  float* acc = scratch_.data();
  for (int i = 0; i < outer_; ++i) {
    const float* xi = x + i * dim;
    float* yi = y + i * dim;
    std::copy(xi, xi + inner_, acc);
    for (int c = 1; c < channels_; ++c)
      for (int j = 0; j < inner_; ++j) acc[j] = std::max(acc[j], xi[c * inner_ + j]);
    for (int c = 0; c < channels_; ++c)
      for (int j = 0; j < inner_; ++j) yi[c * inner_ + j] = std::exp(xi[c * inner_ + j] - acc[j]);
    std::fill(acc, acc + inner_, 0.f);
    for (int c = 0; c < channels_; ++c)
      for (int j = 0; j < inner_; ++j) acc[j] += yi[c * inner_ + j];
    for (int c = 0; c < channels_; ++c)
      for (int j = 0; j < inner_; ++j) yi[c * inner_ + j] /= acc[j];
  }
}

// dx = (dy - sum_c(dy * y)) * y
void SoftmaxLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* y = top[0]->data();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int dim = channels_ * inner_;
  float* dot = scratch_.data();
  for (int i = 0; i < outer_; ++i) {
    const int base = i * dim;
    std::fill(dot, dot + inner_, 0.f);
    for (int c = 0; c < channels_; ++c)
      for (int j = 0; j < inner_; ++j) dot[j] += dy[base + c * inner_ + j] * y[base + c * inner_ + j];
    for (int c = 0; c < channels_; ++c)
      for (int j = 0; j < inner_; ++j) {
        const int k = base + c * inner_ + j;
        dx[k] = (dy[k] - dot[j]) * y[k];
      }
  }
}

}  // namespace cortado
