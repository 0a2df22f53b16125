#pragma once
// Exp: y = base ^ (shift + scale * x); base -1 means e.
#include "layers/neuron.hpp"

namespace cortado {

class ExpLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Exp"; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  // cuda/layers/exp.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#endif

 private:
  // y = outer_scale_ * exp(inner_scale_ * x)
  float inner_scale_ = 1.f, outer_scale_ = 1.f;
};

}  // namespace cortado
