#pragma once
// Local response normalization of an N x C x H x W bottom, y = x * scale^-beta:
//   ACROSS_CHANNELS  scale = k + alpha/n * (sum of x^2 over n neighbouring channels)
//   WITHIN_CHANNEL   scale = 1 + alpha/n^2 * (sum of x^2 over an n x n window,
//                    zero-padded; the divisor is n^2 at the borders too, as Caffe's
//                    average pooling with pad (n-1)/2 gives). k is not used.
// n = local_size, which must be odd.
#include "layers/layer.hpp"

namespace cortado {

class LRNLayer : public Layer {
 public:
  using Layer::Layer;
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  const char* type() const override { return "LRN"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/lrn.cu
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 private:
  Blob ratio_gpu_;  // WITHIN_CHANNEL backward: dy * y / scale, summed over windows
#endif

 private:
  bool across() const;
  // Sum of `n` consecutive planes centred on each plane (zero beyond the ends).
  void channel_window_sum(const float* in, float* out, float* acc) const;
  // Sum over the size x size window centred on each pixel of one plane.
  void box_sum(const float* in, float* out, float* tmp) const;
  // y = x * scale^-beta over `count` values.
  void apply_scale(const float* x, const float* scale, float* y, long count) const;

  int size_ = 5;
  float alpha_ = 1.f, beta_ = 0.75f, k_ = 1.f;
  int channels_ = 0, height_ = 0, width_ = 0;
  Blob scale_;  // the scale of every element, kept for backward
};

}  // namespace cortado
