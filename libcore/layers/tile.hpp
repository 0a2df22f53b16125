#pragma once
// Tile: repeats the block from tile_param.axis on `tiles` times along that axis
// (default axis 1): shape (.., d, ..) becomes (.., d * tiles, ..). Backward sums
// the copies' diffs.
#include "layers/layer.hpp"

namespace cortado {

class TileLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Tile"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/tile.cu
  CORTADO_GPU_LAYER

 private:
  int outer_ = 0, inner_ = 0, tiles_ = 1;  // inner_: the count of one block
};

}  // namespace cortado
