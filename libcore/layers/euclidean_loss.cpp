#include "layers/euclidean_loss.hpp"

#include "util/error.hpp"

namespace cortado {

void EuclideanLossLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() == 0 || bottom[1]->num_axes() == 0 ||
      bottom[0]->shape(0) != bottom[1]->shape(0))
    throw Error(where(), "inputs " + bottom[0]->shape_string() + " and " +
                             bottom[1]->shape_string() + " must have the same first dimension");
  if (bottom[0]->count(1) != bottom[1]->count(1))
    throw Error(where(), "inputs " + bottom[0]->shape_string() + " and " +
                             bottom[1]->shape_string() + " must have the same size per item");
  diff_.reshape_like(*bottom[0]);
  top[0]->reshape(std::vector<int>{});
}

void EuclideanLossLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* a = bottom[0]->data();
  const float* b = bottom[1]->data();
  float* d = diff_.mutable_data();
  float dot = 0.f;
  for (int i = 0; i < diff_.count(); ++i) {
    d[i] = a[i] - b[i];
    dot += d[i] * d[i];
  }
  top[0]->mutable_data()[0] = dot / bottom[0]->shape(0) / 2.f;
}

// d loss / da = (a - b) w / N, d loss / db = -(a - b) w / N, w the loss weight.
void EuclideanLossLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                      const BlobVec& bottom) {
  const float* d = diff_.data();
  for (int k = 0; k < 2; ++k) {
    if (!propagate_down[k]) continue;
    const float alpha = (k == 0 ? 1.f : -1.f) * top[0]->diff()[0] / bottom[k]->shape(0);
    float* g = bottom[k]->mutable_diff();
    for (int i = 0; i < diff_.count(); ++i) g[i] = alpha * d[i];
  }
}

}  // namespace cortado
