#pragma once
// SoftmaxWithLoss: softmax over softmax_param.axis, then the mean negative log
// probability of the labelled class, -log(max(p[label], FLT_MIN)).
// Bottoms: scores (N × C × ...) and labels (as many as N × spatial positions).
// Tops: the loss, a scalar (shape (), 0 axes); optionally the probabilities.
// loss_param: ignore_label (positions with that label add nothing), normalization
// (VALID default, BATCH_SIZE, FULL, NONE) or the legacy `normalize` bool.
#include <memory>

#include "layers/layer.hpp"

namespace cortado {

class SoftmaxLayer;

class SoftmaxWithLossLayer : public Layer {
 public:
  explicit SoftmaxWithLossLayer(const caffe::LayerParameter& param);
  ~SoftmaxWithLossLayer() override;
  const char* type() const override { return "SoftmaxWithLoss"; }
  int exact_num_bottom_blobs() const override { return 2; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return 2; }
  bool auto_top_blobs() const override { return true; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  bool is_loss() const override { return true; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  // In graph mode the loss and the bad-label check stay on the device (graph_slots.hpp).
  bool graph_safe() const override { return true; }
  void raise_graph_error(int code, int value) override;

 protected:
  // cuda/layers/softmax_loss.cu
  bool sums_graph_loss(const BlobVec& top) const override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;

 private:
  // Written on the device: the summed loss, the count of labelled positions and the
  // first out-of-range label's position (ints stored in float slots).
  Blob stats_;
#endif

 private:
  // The label at (i, j) as a class index; an out-of-range label is an Error.
  int label_at(const float* labels, int i, int j) const;

  std::unique_ptr<SoftmaxLayer> softmax_;
  Blob prob_;
  bool has_ignore_label_ = false;
  int ignore_label_ = 0;
  caffe::LossParameter::NormalizationMode normalization_ = caffe::LossParameter::VALID;
  int outer_ = 1, channels_ = 1, inner_ = 1;
};

}  // namespace cortado
