#pragma once
// Reduction: reduces reduction_param.axis and every axis after it to one value,
// times coeff: SUM, ASUM (sum of |x|), SUMSQ (sum of x^2) or MEAN. The top keeps
// the axes before `axis` (axis 0, the default, gives a scalar of shape ()).
#include "layers/layer.hpp"

namespace cortado {

class ReductionLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Reduction"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/reduction.cu
  CORTADO_GPU_LAYER

 private:
  // coeff, over the count reduced for MEAN.
  float scale() const;
  int rows_ = 0, dim_ = 0;
};

}  // namespace cortado
