#pragma once
// BNLL (binomial normal log likelihood): y = log(1 + exp(x)), computed stably.
#include "layers/neuron.hpp"

namespace cortado {

class BNLLLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "BNLL"; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/bnll.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
