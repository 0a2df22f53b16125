#pragma once
// InnerProduct (fully connected): the bottom is read as an M x K matrix, M the
// product of the axes before `axis`, K of the rest; top (M x N) = bottom * W^T + bias.
// Weight (N, K), or (K, N) with transpose: true; bias (N).
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

class InnerProductLayer : public Layer {
 public:
  using Layer::Layer;
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  const char* type() const override { return "InnerProduct"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
#ifdef CORTADO_WITH_CUDA
  bool can_fuse_relu_gpu() const override { return true; }
#endif

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/inner_product.cu
  CORTADO_GPU_LAYER

 private:
  int axis_ = 1;
  int M_ = 0, K_ = 0, N_ = 0;
  bool bias_term_ = true;
  bool transpose_ = false;
  std::vector<float> top_t_;  // top transposed (N x M), see forward_cpu
};

}  // namespace cortado
