#pragma once
// ELU: y = x for x > 0, alpha * (exp(x) - 1) otherwise.
#include "layers/neuron.hpp"

namespace cortado {

class ELULayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "ELU"; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/elu.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
