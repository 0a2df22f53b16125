#pragma once
// TanH: y = tanh(x); backward needs only y.
#include "layers/neuron.hpp"

namespace cortado {

class TanHLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "TanH"; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/tanh.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
