#pragma once
// Convolution: top = W * im2col(bottom) + bias, per group, for each bottom/top pair
// (all pairs share the weights). Weight (num_output, C/group, kh, kw), bias (num_output).
#include "layers/conv_base.hpp"

namespace cortado {

class ConvolutionLayer : public ConvBaseLayer {
 public:
  using ConvBaseLayer::ConvBaseLayer;
  const char* type() const override { return "Convolution"; }

 protected:
  bool reverse() const override { return false; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDNN
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  // cuda/layers/convolution.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#endif
};

}  // namespace cortado
