#pragma once
// Deconvolution: the transpose of Convolution (its forward is convolution's
// backward-to-data). Output size (in-1)*stride + dilation*(k-1)+1 - 2*pad.
// Weight (C_in, num_output/group, kh, kw), bias (num_output).
#include "layers/conv_base.hpp"

namespace cortado {

class DeconvolutionLayer : public ConvBaseLayer {
 public:
  using ConvBaseLayer::ConvBaseLayer;
  const char* type() const override { return "Deconvolution"; }

 protected:
  bool reverse() const override { return true; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDNN
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  // cuda/layers/deconvolution.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#endif
};

}  // namespace cortado
