#pragma once
// Eltwise: combines bottoms of one shape element by element: PROD, SUM (with
// per-bottom coeff, default 1) or MAX (gradient to the first bottom holding the
// maximum; for the first two bottoms a tie goes to the second, as in Caffe).
#include "layers/layer.hpp"

namespace cortado {

class EltwiseLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Eltwise"; }
  int min_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/eltwise.cu
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 private:
  Blob max_winner_gpu_;  // MAX on the GPU: which bottom won each element (as a float)
#endif

 private:
  void forward_max(const BlobVec& bottom, float* y);
  void backward_prod(const BlobVec& top, int k, const BlobVec& bottom);

  caffe::EltwiseParameter::EltwiseOp op_ = caffe::EltwiseParameter::SUM;
  std::vector<float> coeff_;
  std::vector<int> argmax_;  // MAX: which bottom won each element
};

}  // namespace cortado
