#pragma once
// ContrastiveLoss (Hadsell, Chopra and LeCun 2006), as in Caffe. Bottoms: features a and
// b (N x C, or N x C x 1 x 1; per item the count(1) values) and y (N similarity labels,
// similar where int(y) != 0). With d = ||a_i - b_i||: similar pairs add d^2, dissimilar
// ones max(margin - d, 0)^2, or max(margin - d^2, 0) with legacy_version; the sum is
// divided by 2 N. contrastive_loss_param: margin (1), legacy_version (false).
// Top: the loss, shape (). Both a and b get gradients; y none.
#include "layers/layer.hpp"

namespace cortado {

class ContrastiveLossLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "ContrastiveLoss"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 3; }
  int exact_num_top_blobs() const override { return 1; }
  bool auto_top_blobs() const override { return true; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != 2; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  bool is_loss() const override { return true; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/contrastive_loss.cu
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 private:
  Blob dist_sq_gpu_;  // dist_sq_ on the device
#endif

 private:
  Blob diff_;                   // a - b, kept for backward
  std::vector<float> dist_sq_;  // ||a_i - b_i||^2 per item
};

}  // namespace cortado
