#pragma once
// ReLU: y = max(x, 0) + negative_slope * min(x, 0).
#include "layers/neuron.hpp"

namespace cortado {

class ReLULayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "ReLU"; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/relu.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
