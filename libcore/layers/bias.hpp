#pragma once
// Bias: y = x + b, with b broadcast over the bottom's axes [axis, axis +
// b.num_axes()). b is a learned blob (shape from axis/num_axes, filled by
// bias_param.filler, default 0) or the second bottom. Runs in place.
#include "layers/layer.hpp"

namespace cortado {

class BiasLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Bias"; }
  int min_bottom_blobs() const override { return 1; }
  int max_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/bias.cu
  CORTADO_GPU_LAYER

 private:
  const Blob& bias(const BlobVec& bottom) const {
    return bottom.size() > 1 ? *bottom[1] : *blobs_[0];
  }
  int outer_ = 1, dim_ = 1, inner_ = 1;
};

}  // namespace cortado
