#include "layers/softmax_loss.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "layers/loss_normalization.hpp"
#include "layers/softmax.hpp"
#include "util/error.hpp"

namespace cortado {

SoftmaxWithLossLayer::SoftmaxWithLossLayer(const caffe::LayerParameter& param) : Layer(param) {}
SoftmaxWithLossLayer::~SoftmaxWithLossLayer() = default;

void SoftmaxWithLossLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  caffe::LayerParameter softmax_param(param_);
  softmax_param.set_type("Softmax");
  softmax_param.clear_loss_weight();
  softmax_ = std::make_unique<SoftmaxLayer>(softmax_param);
  softmax_->setup({bottom[0]}, {&prob_});
  const caffe::LossParameter& lp = param_.loss_param();
  has_ignore_label_ = lp.has_ignore_label();
  ignore_label_ = lp.ignore_label();
  normalization_ = resolve_normalization(lp, caffe::LossParameter::VALID);
}

void SoftmaxWithLossLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() == 0 || bottom[1]->num_axes() == 0 ||
      bottom[0]->shape(0) != bottom[1]->shape(0))
    throw Error(where(), "scores " + bottom[0]->shape_string() + " and labels " +
                             bottom[1]->shape_string() + " must have the same first dimension");
  softmax_->reshape({bottom[0]}, {&prob_});
  const int axis = bottom[0]->canonical_axis(param_.softmax_param().axis());
  outer_ = bottom[0]->count(0, axis);
  channels_ = bottom[0]->shape(axis);
  inner_ = bottom[0]->count(axis + 1);
  if (outer_ * inner_ != bottom[1]->count())
    throw Error(where(), "has " + std::to_string(bottom[1]->count()) + " labels for " +
                             std::to_string(outer_ * inner_) +
                             " predictions (scores " + bottom[0]->shape_string() +
                             ", softmax axis " + std::to_string(axis) +
                             "): expected one label per position outside the class axis");
  top[0]->reshape(std::vector<int>{});
  if (top.size() > 1) top[1]->reshape_like(*bottom[0]);
}

int SoftmaxWithLossLayer::label_at(const float* labels, int i, int j) const {
  const int label = static_cast<int>(labels[i * inner_ + j]);
  if (label < 0 || label >= channels_) raise_bad_label(label, i * inner_ + j, channels_);
  return label;
}

void SoftmaxWithLossLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  softmax_->set_mode(Mode::cpu);  // a GPU pass may have switched it
  softmax_->forward({bottom[0]}, {&prob_});
  const float* p = prob_.data();
  const float* labels = bottom[1]->data();
  const int dim = channels_ * inner_;
  float loss = 0.f;
  int valid = 0;
  for (int i = 0; i < outer_; ++i)
    for (int j = 0; j < inner_; ++j) {
      if (has_ignore_label_ && static_cast<int>(labels[i * inner_ + j]) == ignore_label_) continue;
      const int label = label_at(labels, i, j);
      loss -= std::log(std::max(p[i * dim + label * inner_ + j], FLT_MIN));
      ++valid;
    }
  top[0]->mutable_data()[0] = loss / loss_normalizer(normalization_, outer_, inner_, valid);
  if (top.size() > 1) std::copy(p, p + prob_.count(), top[1]->mutable_data());
}

// d loss / d score = p - onehot(label), zero where the label is ignored, scaled by
// the loss weight (the top's diff) over the normalizer.
void SoftmaxWithLossLayer::backward_cpu(const BlobVec& top,
                                        const std::vector<bool>& propagate_down,
                                        const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the label input");
  if (!propagate_down[0]) return;
  const float* p = prob_.data();
  const float* labels = bottom[1]->data();
  float* dx = bottom[0]->mutable_diff();
  std::copy(p, p + prob_.count(), dx);
  const int dim = channels_ * inner_;
  int valid = 0;
  for (int i = 0; i < outer_; ++i)
    for (int j = 0; j < inner_; ++j) {
      if (has_ignore_label_ && static_cast<int>(labels[i * inner_ + j]) == ignore_label_) {
        for (int c = 0; c < channels_; ++c) dx[i * dim + c * inner_ + j] = 0.f;
        continue;
      }
      dx[i * dim + label_at(labels, i, j) * inner_ + j] -= 1.f;
      ++valid;
    }
  const float scale =
      top[0]->diff()[0] / loss_normalizer(normalization_, outer_, inner_, valid);
  for (int k = 0; k < prob_.count(); ++k) dx[k] *= scale;
}

}  // namespace cortado
