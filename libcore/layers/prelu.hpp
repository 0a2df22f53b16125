#pragma once
// PReLU: y = max(x, 0) + a_c * min(x, 0), with a learned slope a per channel
// (axis 1), or one slope for all when channel_shared. Slopes start at 0.25
// unless prelu_param.filler says otherwise.
#include "layers/neuron.hpp"

namespace cortado {

class PReLULayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "PReLU"; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/prelu.cu
  CORTADO_GPU_LAYER

 private:
  int channel_of(int i, int dim, int channels) const {
    return channel_shared_ ? 0 : (i / dim) % channels;
  }
  bool channel_shared_ = false;
};

}  // namespace cortado
