#pragma once
// ReLU: y = max(x, 0) + negative_slope * min(x, 0).
#include "layers/neuron.hpp"

namespace cortado {

class ReLULayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "ReLU"; }
  // Set by Net::set_mode where the layer before applies this ReLU in its own GPU
  // passes (Layer::fuse_relu_gpu): forward_gpu and backward_gpu then do nothing.
  void set_fused_into_previous_gpu(bool on) { fused_into_previous_ = on; }
  bool fused_into_previous_gpu() const { return fused_into_previous_; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/relu.cu
  CORTADO_GPU_LAYER

 private:
  bool fused_into_previous_ = false;
};

}  // namespace cortado
