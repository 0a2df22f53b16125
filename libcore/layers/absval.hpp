#pragma once
// AbsVal: y = |x|, gradient sign(x) (0 at 0). Caffe refuses in place; we keep a
// copy of the input instead, so in place works.
#include "layers/neuron.hpp"

namespace cortado {

class AbsValLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "AbsVal"; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/absval.cu
  CORTADO_GPU_LAYER
};

}  // namespace cortado
