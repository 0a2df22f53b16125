#pragma once
// 3x3 convolutions (stride 1, no dilation, pad <= 2) by Winograd's minimal filtering
// F(4x4, 3x3) (Lavin & Gray, 2016): each 4x4 output tile costs 36 multiplications per
// channel pair instead of 144, so the GEMMs shrink by up to 4x (less where the output
// is not a multiple of 4). Forward, the data gradient (the same convolution with
// flipped, transposed weights) and the weight gradient (the adjoint of the transforms)
// all run as 36 independent GEMMs on transformed tiles. Results differ from the
// im2col path by float rounding only (about 1e-6 relative).
#include <vector>

namespace cortado {

struct WinogradShape {
  int num = 0, channels = 0, height = 0, width = 0;  // input
  int out_channels = 0, groups = 1;
  int pad_h = 0, pad_w = 0;  // each in [0, 2]
  int out_h() const { return height + 2 * pad_h - 2; }
  int out_w() const { return width + 2 * pad_w - 2; }
};

// Whether Winograd is used for such a convolution: it must be eligible (3x3,
// stride 1, dilation 1, pad <= 2) and worth it (enough channels per group to
// amortize the transforms).
bool winograd_worth_it(int kernel_h, int kernel_w, int stride_h, int stride_w, int dilation_h,
                       int dilation_w, int pad_h, int pad_w, int channels_per_group,
                       int outputs_per_group);

// One convolution shape with its scratch buffers (reused across calls).
class Winograd3x3 {
 public:
  void reshape(const WinogradShape& s);
  const WinogradShape& shape() const { return s_; }

  // y = conv(x, w): x is num x channels x H x W, w out_channels x channels/groups x 3 x 3,
  // y num x out_channels x out_h x out_w (overwritten).
  void forward(const float* x, const float* w, float* y);
  // dw += d(sum dy . conv(x, w)) / dw.
  void backward_weights(const float* x, const float* dy, float* dw);

 private:
  int tiles_h() const { return (s_.out_h() + 3) / 4; }
  int tiles_w() const { return (s_.out_w() + 3) / 4; }
  void transform_weights(const float* w);
  void transform_input(const float* x, long p0, long count);
  void gemms(long count);
  void transform_output(float* y, long p0, long count);
  void transform_output_adjoint(const float* dy, long p0, long count);
  void accumulate_weight_gradient(long count);

  WinogradShape s_;
  long tiles_ = 0;  // tiles over the whole batch
  long block_ = 0;  // tiles per pass, bounding the scratch memory
  // Transformed weights U [36][K][C/g], input tiles V [36][C][block], products
  // M [36][K][block]; in the weight gradient M holds the transformed dy and U the
  // gradient of the transformed weights.
  std::vector<float> u_, v_, m_;
};

// The data gradient of a 3x3 convolution through Winograd: dx = conv(dy, flipped w^T),
// a convolution of its own shape (input dy, pad 2 - pad), planned once per reshape.
class Winograd3x3DataGrad {
 public:
  void reshape(const WinogradShape& forward_shape);
  // dx (num x channels x H x W) is overwritten.
  void backward_data(const float* dy, const float* w, float* dx);

 private:
  WinogradShape fwd_;
  Winograd3x3 conv_;
  std::vector<float> flipped_;
};

}  // namespace cortado
