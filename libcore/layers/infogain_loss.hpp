#pragma once
// InfogainLoss (Caffe master): SoftmaxWithLoss generalised by an "information gain"
// matrix H (num_labels x num_labels). A softmax over infogain_loss_param.axis (default 1)
// gives p; each labelled position (label L) adds -sum_l H[L, l] log(max(p[l], 1e-20)).
// With H the identity this is SoftmaxWithLoss.
// Bottoms: scores, labels (one per position outside the class axis), and optionally H;
// without a third bottom H is read from infogain_loss_param.source (a binaryproto).
// Tops: the loss, shape (); optionally the probabilities.
// loss_param: ignore_label, normalization (VALID default) or the legacy `normalize`.
#include <memory>

#include "layers/layer.hpp"

namespace cortado {

class SoftmaxLayer;

class InfogainLossLayer : public Layer {
 public:
  explicit InfogainLossLayer(const caffe::LayerParameter& param);
  ~InfogainLossLayer() override;
  const char* type() const override { return "InfogainLoss"; }
  bool allows_in_place() const override { return false; }
  int min_bottom_blobs() const override { return 2; }
  int max_bottom_blobs() const override { return 3; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return 2; }
  bool auto_top_blobs() const override { return true; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index == 0; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  bool is_loss() const override { return true; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/infogain_loss.cu; in graph mode a bad label goes to the error slot
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 public:
  void raise_graph_error(int code, int value) override;

 private:
  // Written by the forward kernel: the first out-of-range label's position (an int, read
  // back in eager mode), the normalizer, then the sums of H's rows (for backward).
  Blob stats_;
#endif

 private:
  // H: the third bottom if there is one, else the matrix read from `source`.
  const float* infogain(const BlobVec& bottom) const;
  // The label at (i, j) as a class index; an out-of-range label is an Error.
  int label_at(const float* labels, int i, int j) const;
  bool ignored(const float* labels, int i, int j) const;

  std::unique_ptr<SoftmaxLayer> softmax_;
  Blob prob_;
  Blob infogain_;  // from `source`, when there is no third bottom
  bool has_ignore_label_ = false;
  int ignore_label_ = 0;
  caffe::LossParameter::NormalizationMode normalization_ = caffe::LossParameter::VALID;
  int outer_ = 1, num_labels_ = 1, inner_ = 1;
};

}  // namespace cortado
