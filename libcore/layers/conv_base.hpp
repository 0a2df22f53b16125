#pragma once
// What Convolution and Deconvolution share: ConvolutionParameter parsing, the
// weight and bias blobs, and three GEMM passes over chunks of the batch.
// In convolution terms a pass maps a "conv input" image (unrolled by im2col) to
// a "conv output" map. Convolution's conv input is its bottom; Deconvolution is
// the transpose, so its conv input is its top and its conv output its bottom.
#include <functional>
#include <vector>

#include "layers/conv_spatial.hpp"
#include "layers/layer.hpp"
#include "math/im2col.hpp"

namespace cortado {

#ifdef CORTADO_WITH_CUDNN
namespace gpu {
class CudnnConv;
}
#endif

class ConvBaseLayer : public Layer {
 public:
  using Layer::Layer;
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  int min_bottom_blobs() const override { return 1; }
  int min_top_blobs() const override { return 1; }
  bool equal_num_bottom_top_blobs() const override { return true; }
#ifdef CORTADO_WITH_CUDNN
  bool can_fuse_relu_gpu() const override { return true; }
#endif

 protected:
  // True for Deconvolution.
  virtual bool reverse() const = 0;

  // Scratch for one chunk of samples; one per thread when chunks run side by side.
  struct Workspace {
    std::vector<float> col, out, dweights;
  };

  // The column matrix of `num` conv-input images (in ws.col, or `im` itself for a
  // single sample with a 1x1 kernel).
  const float* columns(const float* im, int num, Workspace& ws);
  // out = W * col for `num` samples (conv output overwritten).
  void forward_gemm(const float* col, const float* weights, float* out, int num, Workspace& ws);
  // im = col2im(W^T * out) for `num` samples (conv input overwritten; uses ws.col).
  void backward_gemm(const float* out, const float* weights, float* im, int num, Workspace& ws);
  // dW += out * col^T for `num` samples.
  void weight_gemm(const float* col, const float* out, float* dweights, int num, Workspace& ws);
  // Adds the bias to every top map / accumulates its gradient from a top diff.
  void add_bias(float* top, const float* bias) const;
  void bias_gradient(const float* top_diff, float* dbias) const;

  // Calls f(first_sample, count, workspace, dw) over the batch in chunks that fit the
  // buffers. With several threads and enough samples the chunks run side by side,
  // each GEMM on one thread (small GEMMs scale badly inside); otherwise in turn, each
  // GEMM using every thread. `dw` is where weight gradients go: `dweights` itself, or
  // a per-thread buffer summed into `dweights` at the end (nullptr when not needed).
  using ChunkFn = std::function<void(int, int, Workspace&, float*)>;
  void for_chunks(const ChunkFn& f, float* dweights = nullptr);

#ifdef CORTADO_WITH_CUDNN
  // Shared by the GPU halves (cuda/layers/conv_base.cpp): cuDNN's view of the
  // current shape (descriptors redone when it changes, algorithms chosen once per
  // shape); after Deconvolution's forward product, the bias and the fused ReLU (if
  // any) on the top (Convolution hands them to CudnnConv::forward, whose direct kernels
  // add them in the same pass); before the backward products, the fused ReLU's mask on the top diff
  // and the bias gradient (each where there is one).
  gpu::CudnnConv& cudnn_conv();
  void finish_top_gpu(Blob* top) const;
  void top_diff_pass_gpu(Blob* top);

#endif
  int num_ = 0;         // samples: product of the axes before `axis`
  int channels_ = 0;    // bottom channels
  int num_output_ = 0;  // top channels
  int group_ = 1;
  bool bias_term_ = true;
  int bottom_dim_ = 0;   // values per sample in a bottom
  int top_dim_ = 0;      // values per sample in a top
  int top_spatial_ = 0;  // positions per top channel

 private:
  void make_or_check_weights();
  void plan_chunks();
  const float* gathered(const float* out, int num, Workspace& ws);

  ConvSpatial spatial_;  // axis, 1 or 2 spatial axes, kernel, stride, pad, dilation
  bool is_1x1_ = false;  // 1x1 kernel, stride 1, no pad: the image is its own column matrix
  int conv_in_channels_ = 0, conv_out_channels_ = 0;
  ConvGeometry geom_;     // conv input image -> columns
  int chunk_ = 1;         // samples per GEMM
  int side_by_side_ = 1;  // threads running chunks at once (1: chunks in turn)
  std::vector<Workspace> work_;
#ifdef CORTADO_WITH_CUDNN
  std::shared_ptr<gpu::CudnnConv> cudnn_conv_;  // shared_ptr: the type is incomplete here
#endif
};

}  // namespace cortado
