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
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  // cuda/layers/absval.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#endif
};

}  // namespace cortado
