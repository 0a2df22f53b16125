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
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  // cuda/layers/elu.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#endif
};

}  // namespace cortado
