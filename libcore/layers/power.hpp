#pragma once
// Power: y = (shift + scale * x) ^ power.
#include "layers/neuron.hpp"

namespace cortado {

class PowerLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Power"; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/power.cu
  CORTADO_GPU_LAYER

 private:
  float power_ = 1.f, scale_ = 1.f, shift_ = 0.f;
  float diff_scale_ = 1.f;  // dy/dx's constant factor, power * scale
};

}  // namespace cortado
