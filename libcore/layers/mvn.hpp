#pragma once
// MVN: mean-variance normalisation of each item's channel (or of each item, with
// mvn_param.across_channels): y = x - mean, and with normalize_variance (default)
// y = (x - mean) / (sqrt(variance) + eps), the variance that of the centred values,
// as Caffe computes it. Backward reads only y and the deviations, so in place works.
#include "layers/layer.hpp"

namespace cortado {

class MVNLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "MVN"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/mvn.cu
  CORTADO_GPU_LAYER

 private:
  int rows_ = 0, dim_ = 0;  // rows normalised separately, values in each
  Blob scale_;              // per row: sqrt(variance) + eps (1 when centring only)
  Blob row_stats_;          // GPU scratch, per row: the mean; in backward mean(dy), mean(y dy)
};

}  // namespace cortado
