#include "layers/multinomial_logistic_loss.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace cortado {
namespace {
// Caffe's kLOG_THRESHOLD: the smallest probability taken into the log.
constexpr float kMinProb = 1e-20f;
}  // namespace

void MultinomialLogisticLossLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() == 0 || bottom[1]->num_axes() == 0 ||
      bottom[0]->shape(0) != bottom[1]->shape(0) || bottom[1]->count() != bottom[0]->shape(0))
    throw Error(where(), "probabilities " + bottom[0]->shape_string() + " and labels " +
                             bottom[1]->shape_string() + ": expected one label per item");
  top[0]->reshape(std::vector<int>{});
}

int MultinomialLogisticLossLayer::label_at(const BlobVec& bottom, int i) const {
  const int dim = bottom[0]->count(1);
  const int label = static_cast<int>(bottom[1]->data()[i]);
  if (label < 0 || label >= dim) raise_bad_label(label, i, dim);
  return label;
}

void MultinomialLogisticLossLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count(1);
  const float* p = bottom[0]->data();
  float loss = 0.f;
  for (int i = 0; i < num; ++i)
    loss -= std::log(std::max(p[i * dim + label_at(bottom, i)], kMinProb));
  top[0]->mutable_data()[0] = loss / num;
}

// Only the labelled probability enters the loss: d/dp = -(w / N) / max(p, 1e-20)
// there, 0 elsewhere (w the loss weight).
void MultinomialLogisticLossLayer::backward_cpu(const BlobVec& top,
                                                const std::vector<bool>& propagate_down,
                                                const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the label input");
  if (!propagate_down[0]) return;
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count(1);
  const float* p = bottom[0]->data();
  float* dx = bottom[0]->mutable_diff();
  std::fill(dx, dx + bottom[0]->count(), 0.f);
  const float scale = -top[0]->diff()[0] / num;
  for (int i = 0; i < num; ++i) {
    const int k = i * dim + label_at(bottom, i);
    dx[k] = scale / std::max(p[k], kMinProb);
  }
}

}  // namespace cortado
