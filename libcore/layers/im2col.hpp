#pragma once
// Im2col: the column matrix Convolution multiplies by its weights, as a top. Each
// item (C x H x W) becomes (C*kh*kw) x H_out x W_out: row (c, i, j) holds channel c
// at kernel offset (i, j) for every output position. Reads convolution_param's
// kernel, pad, stride, dilation and axis; 1 or 2 spatial axes (1-d runs as 2-d of
// height 1). force_nd_im2col is accepted and changes nothing (same values).
#include "layers/conv_spatial.hpp"
#include "layers/layer.hpp"
#include "math/im2col.hpp"

namespace cortado {

class Im2colLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Im2col"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/im2col.cu
  CORTADO_GPU_LAYER

 private:
  ConvSpatial spatial_;  // read as Convolution reads it
  int num_ = 0;          // items: product of the axes before `axis`
  ConvGeometry geom_;
};

}  // namespace cortado
