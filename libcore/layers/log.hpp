#pragma once
// Log: y = log_base(shift + scale * x); base -1 means e.
#include "layers/neuron.hpp"

namespace cortado {

class LogLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Log"; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/log.cu
  CORTADO_GPU_LAYER

 private:
  float base_scale_ = 1.f;  // 1 / ln(base)
  float scale_ = 1.f, shift_ = 0.f;
};

}  // namespace cortado
