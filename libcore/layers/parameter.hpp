#pragma once
// Parameter: no bottom; one learnable blob of parameter_param.shape, handed to the
// top as it is, so other layers can use a learned tensor as an input. The blob
// starts at zero (Caffe fills nothing: its values come from a caffemodel).
// Caffe's top shares the blob's memory; here forward copies the values and
// backward adds the top's diff to the blob's, which gives the same gradient and
// keeps working when the Net re-points shared parameter blobs.
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

class ParameterLayer : public Layer {
 public:
  using Layer::Layer;
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  const char* type() const override { return "Parameter"; }
  int exact_num_bottom_blobs() const override { return 0; }
  int exact_num_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/parameter.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
