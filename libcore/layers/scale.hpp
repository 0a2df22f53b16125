#pragma once
// Scale: y = x * s (+ b), with s broadcast over the bottom's axes [axis, axis +
// s.num_axes()). s is either a learned blob (shape from axis/num_axes, filled by
// scale_param.filler, default 1) or the second bottom. bias_term adds a learned
// b of s's shape (bias_filler, default 0); its blob follows s's, or comes first
// when s is a bottom. Runs in place (the input is kept for s's gradient).
#include "layers/layer.hpp"

namespace cortado {

class ScaleLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Scale"; }
  int min_bottom_blobs() const override { return 1; }
  int max_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/scale.cu
  CORTADO_GPU_LAYER

 private:
  const Blob& scale(const BlobVec& bottom) const {
    return bottom.size() > 1 ? *bottom[1] : *blobs_[0];
  }
  void scale_gradient(const BlobVec& top, const BlobVec& bottom, bool into_param);
  void bias_gradient(const BlobVec& top);

  int bias_index_ = -1;  // index of b in blobs_, -1 without bias_term
  int outer_ = 1, dim_ = 1, inner_ = 1;
  Blob input_copy_;  // the input, when running in place
};

}  // namespace cortado
