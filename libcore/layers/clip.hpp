#pragma once
// Clip: y = min(max(x, clip_param.min), clip_param.max); the gradient passes where
// min <= x <= max (ends included, as Caffe) and is 0 outside.
#include "layers/neuron.hpp"

namespace cortado {

class ClipLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Clip"; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/clip.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
