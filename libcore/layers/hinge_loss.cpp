#include "layers/hinge_loss.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void HingeLossLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() == 0 || bottom[1]->num_axes() == 0 ||
      bottom[0]->shape(0) != bottom[1]->shape(0) || bottom[1]->count() != bottom[0]->shape(0))
    throw Error(where(), "scores " + bottom[0]->shape_string() + " and labels " +
                             bottom[1]->shape_string() + ": expected one label per item");
  margins_.reshape_like(*bottom[0]);
  top[0]->reshape(std::vector<int>{});
}

void HingeLossLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count(1);
  const float* s = bottom[0]->data();
  const float* labels = bottom[1]->data();
  float* t = margins_.mutable_data();
  std::copy(s, s + margins_.count(), t);
  // The labelled class must score above +1, every other class below -1.
  for (int i = 0; i < num; ++i) {
    const int label = static_cast<int>(labels[i]);
    if (label < 0 || label >= dim) raise_bad_label(label, i, dim);
    t[i * dim + label] = -t[i * dim + label];
  }
  const bool l2 = param_.hinge_loss_param().norm() == caffe::HingeLossParameter::L2;
  float loss = 0.f;
  for (int k = 0; k < margins_.count(); ++k) {
    t[k] = std::max(0.f, 1.f + t[k]);
    loss += l2 ? t[k] * t[k] : t[k];
  }
  top[0]->mutable_data()[0] = loss / num;
}

// d/ds of each term: L1 the sign of t, L2 2 t, with the sign flipped back at the
// labelled class (whose term was built from -s); scaled by the loss weight over N.
void HingeLossLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the label input");
  if (!propagate_down[0]) return;
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count(1);
  const float* t = margins_.data();
  const float* labels = bottom[1]->data();
  float* dx = bottom[0]->mutable_diff();
  const bool l2 = param_.hinge_loss_param().norm() == caffe::HingeLossParameter::L2;
  const float scale = top[0]->diff()[0] / num;
  for (int k = 0; k < margins_.count(); ++k) {
    const float sign = t[k] > 0.f ? 1.f : 0.f;  // t >= 0, so sign(t) is 0 or 1
    dx[k] = (l2 ? 2.f * t[k] : sign) * scale;
  }
  for (int i = 0; i < num; ++i) {
    const int k = i * dim + static_cast<int>(labels[i]);
    dx[k] = -dx[k];
  }
}

}  // namespace cortado
