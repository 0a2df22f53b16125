#include "layers/accuracy.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void AccuracyLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const caffe::AccuracyParameter& ap = param_.accuracy_param();
  top_k_ = static_cast<int>(ap.top_k());
  has_ignore_label_ = ap.has_ignore_label();
  ignore_label_ = ap.ignore_label();
  if (top_k_ < 1) throw Error(where(), "top_k must be at least 1");
}

void AccuracyLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[1]->count() == 0 || top_k_ > bottom[0]->count() / bottom[1]->count())
    throw Error(where(), "top_k " + std::to_string(top_k_) +
                             " is more than the number of classes (scores " +
                             bottom[0]->shape_string() + ", labels " +
                             bottom[1]->shape_string() + ")");
  const int axis = bottom[0]->canonical_axis(param_.accuracy_param().axis());
  outer_ = bottom[0]->count(0, axis);
  classes_ = bottom[0]->shape(axis);
  inner_ = bottom[0]->count(axis + 1);
  if (outer_ * inner_ != bottom[1]->count())
    throw Error(where(), "has " + std::to_string(bottom[1]->count()) + " labels for " +
                             std::to_string(outer_ * inner_) + " predictions (scores " +
                             bottom[0]->shape_string() + ", class axis " +
                             std::to_string(axis) + ")");
  top[0]->reshape(std::vector<int>{});
  if (top.size() > 1) top[1]->reshape(std::vector<int>{classes_});
  class_counts_.assign(classes_, 0);
}

void AccuracyLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* scores = bottom[0]->data();
  const float* labels = bottom[1]->data();
  const bool per_class = top.size() > 1;
  float* hits_per_class = per_class ? top[1]->mutable_data() : nullptr;
  if (per_class) std::fill(hits_per_class, hits_per_class + classes_, 0.f);
  std::fill(class_counts_.begin(), class_counts_.end(), 0);
  const int dim = classes_ * inner_;
  int hits = 0, count = 0;
  for (int i = 0; i < outer_; ++i)
    for (int j = 0; j < inner_; ++j) {
      const int label = static_cast<int>(labels[i * inner_ + j]);
      if (has_ignore_label_ && label == ignore_label_) continue;
      if (label < 0 || label >= classes_) raise_bad_label(label, i * inner_ + j, classes_);
      ++class_counts_[label];
      const float truth = scores[i * dim + label * inner_ + j];
      // Classes scoring at least as high as the label's, the label itself excluded.
      int better = -1;
      for (int c = 0; c < classes_; ++c) better += scores[i * dim + c * inner_ + j] >= truth;
      if (better < top_k_) {
        ++hits;
        if (per_class) hits_per_class[label] += 1.f;
      }
      ++count;
    }
  top[0]->mutable_data()[0] = count == 0 ? 0.f : static_cast<float>(hits) / count;
  if (per_class)
    for (int c = 0; c < classes_; ++c)
      hits_per_class[c] = class_counts_[c] == 0 ? 0.f : hits_per_class[c] / class_counts_[c];
}

void AccuracyLayer::backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& propagate_down,
                                 const BlobVec& /*bottom*/) {
  for (bool down : propagate_down)
    if (down) throw Error(where(), "Accuracy has no gradient; nothing may backpropagate through it");
}

}  // namespace cortado
