#pragma once
// Crop: cuts bottom 0 to the shape of bottom 1 on the axes from `axis` on, at
// `offset` (one value for all those axes, or one per axis; default 0). Earlier
// axes are kept whole. Bottom 1 gives only its shape and gets no gradient.
#include "layers/layer.hpp"

namespace cortado {

class CropLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Crop"; }
  int exact_num_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/crop.cu
  CORTADO_GPU_LAYER

 private:
  // Visits every innermost row of the top with the matching bottom offset.
  template <class F>
  void for_each_row(const Blob& bottom, const Blob& top, F f) const;
  std::vector<int> offsets_;  // per axis of bottom 0
};

}  // namespace cortado
