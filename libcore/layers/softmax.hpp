#pragma once
// Softmax along softmax_param.axis (default 1): y = exp(x - max) / sum(exp(x - max)),
// the maximum subtracted so that large inputs do not overflow.
#include "layers/layer.hpp"

namespace cortado {

class SoftmaxLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Softmax"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/softmax.cu
  CORTADO_GPU_LAYER

 private:
  // The blob seen as outer_ × channels_ × inner_, softmax over the middle axis.
  int outer_ = 1, channels_ = 1, inner_ = 1;
  std::vector<float> scratch_;  // per-inner maxima, sums and dot products
};

}  // namespace cortado
