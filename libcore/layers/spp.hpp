#pragma once
// SPP (spatial pyramid pooling): pools an N x C x H x W bottom at pyramid_height
// levels; level i cuts the plane into 2^i x 2^i bins with one Pooling (MAX or AVE)
// whose kernel = stride = ceil(size / bins) and pad = (kernel * bins - size + 1) / 2,
// per axis. With one level the top is that pooling's N x C x 1 x 1 output; with more,
// each level is flattened and the levels are joined in order: N x C*sum(4^i).
// The poolings are re-derived whenever H or W change.
#include <memory>
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

class SPPLayer : public Layer {
 public:
  using Layer::Layer;
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  const char* type() const override { return "SPP"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/spp.cu: the inner Poolings on the device, the flattening there too.
  CORTADO_GPU_LAYER

 private:
  // The inner Poolings run in the mode this layer's forward or backward runs in
  // (Layer::set_mode reaches only this layer).
  void set_level_mode(Mode m);
  // The Pooling parameters of `level` for an H x W bottom (Caffe's formulas).
  caffe::LayerParameter level_param(int level, int height, int width) const;
  void build_levels(const BlobVec& bottom, const BlobVec& top);
  // The bottom that level `i` pools from, and the blob it pools into.
  Blob* level_in(int i, const BlobVec& bottom) { return i == 0 ? bottom[0] : &view_; }
  Blob* level_out(int i, const BlobVec& top) { return levels_ == 1 ? top[0] : pooled_[i].get(); }

  int levels_ = 0;
  int height_ = -1, width_ = -1;  // the bottom size the poolings were built for
  std::vector<std::unique_ptr<Layer>> pools_;
  std::vector<std::unique_ptr<Blob>> pooled_;  // per level: N x C x bins x bins
  // Levels after the first pool from this view of the bottom (shared data, own diff),
  // so their gradients can be added to the first level's.
  Blob view_;
};

}  // namespace cortado
