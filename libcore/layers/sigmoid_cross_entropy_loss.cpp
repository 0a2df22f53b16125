#include "layers/sigmoid_cross_entropy_loss.hpp"

#include <algorithm>
#include <cmath>

#include "layers/loss_normalization.hpp"
#include "util/error.hpp"

namespace cortado {

void SigmoidCrossEntropyLossLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const caffe::LossParameter& lp = param_.loss_param();
  has_ignore_label_ = lp.has_ignore_label();
  ignore_label_ = lp.ignore_label();
  normalization_ = resolve_normalization(lp, caffe::LossParameter::BATCH_SIZE);
}

void SigmoidCrossEntropyLossLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() == 0 || bottom[1]->num_axes() == 0 ||
      bottom[0]->shape(0) != bottom[1]->shape(0))
    throw Error(where(), "scores " + bottom[0]->shape_string() + " and targets " +
                             bottom[1]->shape_string() + " must have the same first dimension");
  if (bottom[0]->count() != bottom[1]->count())
    throw Error(where(), "scores " + bottom[0]->shape_string() + " and targets " +
                             bottom[1]->shape_string() + " must have the same count");
  sigmoid_.reshape_like(*bottom[0]);
  top[0]->reshape(std::vector<int>{});
}

// Per element, with p = (x >= 0):
//   -[t log s + (1 - t) log(1 - s)] = -(x (t - p) - log(1 + exp(x - 2 x p)))
// where exp's argument is never positive.
void SigmoidCrossEntropyLossLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  const float* t = bottom[1]->data();
  float* s = sigmoid_.mutable_data();
  const int count = bottom[0]->count();
  float loss = 0.f;
  int valid = 0;
  for (int i = 0; i < count; ++i) {
    s[i] = 1.f / (1.f + std::exp(-x[i]));
    if (ignored(t[i])) continue;
    const float pos = x[i] >= 0 ? 1.f : 0.f;
    loss -= x[i] * (t[i] - pos) - std::log(1.f + std::exp(x[i] - 2.f * x[i] * pos));
    ++valid;
  }
  const int outer = bottom[0]->shape(0);
  normalizer_ = loss_normalizer(normalization_, outer, count / std::max(outer, 1), valid);
  top[0]->mutable_data()[0] = loss / normalizer_;
}

// d loss / dx = (sigmoid(x) - t) * weight / normalizer, zero where t is ignored.
void SigmoidCrossEntropyLossLayer::backward_cpu(const BlobVec& top,
                                                const std::vector<bool>& propagate_down,
                                                const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the target input");
  if (!propagate_down[0]) return;
  const float* s = sigmoid_.data();
  const float* t = bottom[1]->data();
  float* dx = bottom[0]->mutable_diff();
  const float scale = top[0]->diff()[0] / normalizer_;
  for (int i = 0; i < bottom[0]->count(); ++i) dx[i] = ignored(t[i]) ? 0.f : (s[i] - t[i]) * scale;
}

}  // namespace cortado
