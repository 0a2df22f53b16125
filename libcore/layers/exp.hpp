#pragma once
// Exp: y = base ^ (shift + scale * x); base -1 means e.
#include "layers/neuron.hpp"

namespace cortado {

class ExpLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Exp"; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/exp.cu
  CORTADO_GPU_LAYER

 private:
  // y = outer_scale_ * exp(inner_scale_ * x)
  float inner_scale_ = 1.f, outer_scale_ = 1.f;
};

}  // namespace cortado
