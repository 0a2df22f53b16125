#pragma once
// Slice: cuts the bottom along `axis` (legacy slice_dim) at slice_point
// (one fewer than the tops, ascending), or into equal parts when none are given.
#include "layers/layer.hpp"

namespace cortado {

class SliceLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Slice"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int min_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/slice.cu
  CORTADO_GPU_LAYER

 private:
  std::vector<int> slice_sizes(int extent, int tops) const;
  int axis_ = 1;
  int outer_ = 1, inner_ = 1;
};

}  // namespace cortado
