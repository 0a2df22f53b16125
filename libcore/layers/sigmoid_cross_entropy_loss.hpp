#pragma once
// SigmoidCrossEntropyLoss: cross-entropy between sigmoid(x) and targets t in [0, 1],
//   loss = -sum[t log s + (1 - t) log(1 - s)] / normalizer,
// computed from x directly in a form that cannot overflow.
// Bottoms: scores and targets of the same count. Top: the loss, shape ().
// loss_param: ignore_label (targets equal to it add nothing), normalization
// (BATCH_SIZE by default for this layer, as in Caffe).
#include "layers/layer.hpp"

namespace cortado {

class SigmoidCrossEntropyLossLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "SigmoidCrossEntropyLoss"; }
  int exact_num_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  bool auto_top_blobs() const override { return true; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  bool is_loss() const override { return true; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/sigmoid_cross_entropy_loss.cu
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 private:
  Blob normalizer_gpu_;  // forward's normalizer, on the device for backward
#endif

 private:
  bool ignored(float target) const {
    return has_ignore_label_ && static_cast<int>(target) == ignore_label_;
  }

  Blob sigmoid_;  // sigmoid(x), kept for backward
  float normalizer_ = 1.f;
  bool has_ignore_label_ = false;
  int ignore_label_ = 0;
  caffe::LossParameter::NormalizationMode normalization_ = caffe::LossParameter::BATCH_SIZE;
};

}  // namespace cortado
