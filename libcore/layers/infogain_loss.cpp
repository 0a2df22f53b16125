#include "layers/infogain_loss.hpp"

#include <algorithm>
#include <cmath>

#include "layers/loss_normalization.hpp"
#include "layers/softmax.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

namespace cortado {
namespace {
// Caffe's kLOG_THRESHOLD: the smallest probability taken into the log.
constexpr float kMinProb = 1e-20f;
}  // namespace

InfogainLossLayer::InfogainLossLayer(const caffe::LayerParameter& param) : Layer(param) {}
InfogainLossLayer::~InfogainLossLayer() = default;

void InfogainLossLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  // The softmax runs over the infogain axis, whatever softmax_param says (as in Caffe);
  // checked here so that a bad one is reported as this layer's.
  const int axis = param_.infogain_loss_param().axis(), axes = bottom[0]->num_axes();
  if (axis < -axes || axis >= axes)
    throw Error(where(), "infogain_loss_param axis " + std::to_string(axis) +
                             " is out of range for scores " + bottom[0]->shape_string());
  caffe::LayerParameter softmax_param(param_);
  softmax_param.set_type("Softmax");
  softmax_param.clear_loss_weight();
  softmax_param.mutable_softmax_param()->set_axis(param_.infogain_loss_param().axis());
  softmax_ = std::make_unique<SoftmaxLayer>(softmax_param);
  softmax_->setup({bottom[0]}, {&prob_});
  const caffe::LossParameter& lp = param_.loss_param();
  has_ignore_label_ = lp.has_ignore_label();
  ignore_label_ = lp.ignore_label();
  // Caffe's InfogainLoss refuses the legacy bool, unlike SoftmaxWithLoss.
  if (lp.has_normalize())
    throw Error(where(),
                "loss_param.normalize is not accepted here (as in Caffe); use normalization");
  normalization_ = resolve_normalization(lp, caffe::LossParameter::VALID);
  if (bottom.size() >= 3) return;
  const caffe::InfogainLossParameter& ip = param_.infogain_loss_param();
  if (!ip.has_source())
    throw Error(where(), "needs infogain_loss_param.source (the H matrix) or a third bottom");
  try {
    caffe::BlobProto proto;
    read_binary_proto(ip.source(), proto);
    infogain_.from_proto(proto);
  } catch (const Error& e) {
    // Errors from reading the file name it already; those about its contents do not.
    const std::string detail = e.where().empty() ? ip.source() + ": " + e.what() : e.what();
    throw Error(where(), "cannot read the infogain matrix " + detail);
  }
}

void InfogainLossLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() == 0 || bottom[1]->num_axes() == 0 ||
      bottom[0]->shape(0) != bottom[1]->shape(0))
    throw Error(where(), "scores " + bottom[0]->shape_string() + " and labels " +
                             bottom[1]->shape_string() + " must have the same first dimension");
  softmax_->reshape({bottom[0]}, {&prob_});
  const int axis = bottom[0]->canonical_axis(param_.infogain_loss_param().axis());
  outer_ = bottom[0]->count(0, axis);
  num_labels_ = bottom[0]->shape(axis);
  inner_ = bottom[0]->count(axis + 1);
  if (outer_ * inner_ != bottom[1]->count())
    throw Error(where(), "has " + std::to_string(bottom[1]->count()) + " labels for " +
                             std::to_string(outer_ * inner_) + " predictions (scores " +
                             bottom[0]->shape_string() + ", infogain axis " + std::to_string(axis) +
                             "): expected one label per position outside the class axis");
  const Blob& h = bottom.size() >= 3 ? *bottom[2] : infogain_;
  if (h.count() != num_labels_ * num_labels_)
    throw Error(where(), "infogain matrix " + h.shape_string() + " does not fit scores " +
                             bottom[0]->shape_string() + ": expected " +
                             std::to_string(num_labels_) + " x " + std::to_string(num_labels_) +
                             " values");
  top[0]->reshape(std::vector<int>{});
  if (top.size() > 1) top[1]->reshape_like(*bottom[0]);
}

const float* InfogainLossLayer::infogain(const BlobVec& bottom) const {
  return bottom.size() >= 3 ? bottom[2]->data() : infogain_.data();
}

bool InfogainLossLayer::ignored(const float* labels, int i, int j) const {
  return has_ignore_label_ && static_cast<int>(labels[i * inner_ + j]) == ignore_label_;
}

int InfogainLossLayer::label_at(const float* labels, int i, int j) const {
  const int label = static_cast<int>(labels[i * inner_ + j]);
  if (label < 0 || label >= num_labels_) raise_bad_label(label, i * inner_ + j, num_labels_);
  return label;
}

void InfogainLossLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  softmax_->set_mode(Mode::cpu);  // a GPU pass may have switched it
  softmax_->forward({bottom[0]}, {&prob_});
  const float* p = prob_.data();
  const float* labels = bottom[1]->data();
  const float* h = infogain(bottom);
  const int dim = num_labels_ * inner_;
  float loss = 0.f;
  int valid = 0;
  for (int i = 0; i < outer_; ++i)
    for (int j = 0; j < inner_; ++j) {
      if (ignored(labels, i, j)) continue;
      const float* row = h + label_at(labels, i, j) * num_labels_;
      for (int l = 0; l < num_labels_; ++l)
        loss -= row[l] * std::log(std::max(p[i * dim + l * inner_ + j], kMinProb));
      ++valid;
    }
  top[0]->mutable_data()[0] = loss / loss_normalizer(normalization_, outer_, inner_, valid);
  if (top.size() > 1) std::copy(p, p + prob_.count(), top[1]->mutable_data());
}

// With s = the sum of row L of H, d loss / d score[l] = p[l] s - H[L, l] (the softmax's
// Jacobian folded in), zero where the label is ignored, scaled by the loss weight over
// the normalizer. H itself gets no gradient.
void InfogainLossLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                     const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the label input");
  if (propagate_down.size() > 2 && propagate_down[2])
    throw Error(where(), "cannot backpropagate to the infogain matrix input");
  if (!propagate_down[0]) return;
  const float* p = prob_.data();
  const float* labels = bottom[1]->data();
  const float* h = infogain(bottom);
  std::vector<float> row_sums(num_labels_, 0.f);
  for (int r = 0; r < num_labels_; ++r)
    for (int c = 0; c < num_labels_; ++c) row_sums[r] += h[r * num_labels_ + c];
  float* dx = bottom[0]->mutable_diff();
  const int dim = num_labels_ * inner_;
  int valid = 0;
  for (int i = 0; i < outer_; ++i)
    for (int j = 0; j < inner_; ++j) {
      if (ignored(labels, i, j)) {
        for (int l = 0; l < num_labels_; ++l) dx[i * dim + l * inner_ + j] = 0.f;
        continue;
      }
      const int label = label_at(labels, i, j);
      const float* row = h + label * num_labels_;
      for (int l = 0; l < num_labels_; ++l) {
        const int k = i * dim + l * inner_ + j;
        dx[k] = p[k] * row_sums[label] - row[l];
      }
      ++valid;
    }
  const float scale = top[0]->diff()[0] / loss_normalizer(normalization_, outer_, inner_, valid);
  for (int k = 0; k < prob_.count(); ++k) dx[k] *= scale;
}

}  // namespace cortado
