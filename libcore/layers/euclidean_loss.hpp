#pragma once
// EuclideanLoss: sum((a - b)^2) / (2 N), N the first dimension. Both bottoms get
// gradients (either may be the prediction). Top: the loss, shape ().
#include "layers/layer.hpp"

namespace cortado {

class EuclideanLossLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "EuclideanLoss"; }
  int exact_num_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  bool auto_top_blobs() const override { return true; }
  bool allow_force_backward(int /*bottom_index*/) const override { return true; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  bool is_loss() const override { return true; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/euclidean_loss.cu
  CORTADO_GPU_LAYER

 private:
  Blob diff_;  // a - b, kept for backward
};

}  // namespace cortado
