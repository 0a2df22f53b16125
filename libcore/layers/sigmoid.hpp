#pragma once
// Sigmoid: y = 1 / (1 + exp(-x)); backward needs only y, so in place is free.
#include "layers/neuron.hpp"

namespace cortado {

class SigmoidLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Sigmoid"; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/sigmoid.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
