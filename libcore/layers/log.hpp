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
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  // cuda/layers/log.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#endif

 private:
  float base_scale_ = 1.f;  // 1 / ln(base)
  float scale_ = 1.f, shift_ = 0.f;
};

}  // namespace cortado
