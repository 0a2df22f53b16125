#pragma once
// Concat: joins bottoms along `axis` (legacy concat_dim); all other axes must match.
#include "layers/layer.hpp"

namespace cortado {

class ConcatLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Concat"; }
  int min_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/concat.cu
  CORTADO_GPU_LAYER

 private:
  int axis_ = 1;
  int outer_ = 1, inner_ = 1;  // products of the axes before and after `axis_`
};

}  // namespace cortado
