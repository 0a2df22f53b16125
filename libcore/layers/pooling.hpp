#pragma once
// Pooling over the two spatial axes of an N x C x H x W bottom: MAX (an optional
// second top receives the argmax mask, index h*W + w within the plane) or AVE.
// Output size follows Caffe's rule: ceil((in + 2*pad - k) / stride) + 1 (floor
// with round_mode FLOOR), minus one when pad > 0 and the last window would start
// at or beyond in + pad. STOCHASTIC is refused.
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

class PoolingLayer : public Layer {
 public:
  using Layer::Layer;
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  const char* type() const override { return "Pooling"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return is_max() ? 2 : 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/pooling.cu
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 private:
  Blob argmax_gpu_;  // MAX: argmax_ on the device (ints in float slots)
#endif

 private:
  bool is_max() const;
  void max_forward(const float* x, float* y, float* mask);
  void ave_forward(const float* x, float* y) const;
  void max_backward(const float* dy, float* dx) const;
  void ave_backward(const float* dy, float* dx) const;

  // One pooling window along an axis: [start, end) inside the image, and its
  // extent clipped only to the padded image (AVE's divisor counts padding in it).
  struct Span {
    int start, end, padded;
  };
  static std::vector<Span> spans(int out, int k, int pad, int stride, int in);

  bool global_ = false;
  int kernel_h_ = 0, kernel_w_ = 0, stride_h_ = 1, stride_w_ = 1, pad_h_ = 0, pad_w_ = 0;
  int planes_ = 0, height_ = 0, width_ = 0, pooled_h_ = 0, pooled_w_ = 0;
  std::vector<Span> rows_, cols_;  // the windows of every output row / column
  std::vector<int> argmax_;        // MAX: flat index within the bottom plane, per top element
};

}  // namespace cortado
