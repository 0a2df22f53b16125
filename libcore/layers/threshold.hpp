#pragma once
// Threshold: y = 1 where x > threshold_param.threshold, else 0. A step has zero
// slope wherever it is differentiable, so backward writes zeros (Caffe refuses to
// run it; a net with a Threshold layer in its backward path would otherwise stop).
#include "layers/neuron.hpp"

namespace cortado {

class ThresholdLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Threshold"; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/threshold.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
