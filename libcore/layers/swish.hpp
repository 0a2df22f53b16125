#pragma once
// Swish: y = x * sigmoid(beta * x), swish_param.beta (default 1). Backward needs
// only y and the sigmoid, which forward keeps, so in place needs no input copy:
// dy/dx = beta * y + s * (1 - beta * y).
#include "layers/neuron.hpp"

namespace cortado {

class SwishLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Swish"; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/swish.cu
  CORTADO_GPU_LAYER

 private:
  Blob sigmoid_;  // sigmoid(beta * x), kept for backward
};

}  // namespace cortado
