#pragma once
// Direct (loop) convolution and deconvolution, the references the Convolution
// and Deconvolution layers are checked against.
#include <string>
#include <vector>

namespace cortado::test::vision {

struct ConvSpec {
  int num = 2, channels = 3, height = 6, width = 5;
  int num_output = 4;
  int kernel_h = 3, kernel_w = 3, pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1, group = 1;
  bool bias = true;

  int extent_h() const { return dilation_h * (kernel_h - 1) + 1; }
  int extent_w() const { return dilation_w * (kernel_w - 1) + 1; }
  int conv_out_h() const { return (height + 2 * pad_h - extent_h()) / stride_h + 1; }
  int conv_out_w() const { return (width + 2 * pad_w - extent_w()) / stride_w + 1; }
  int deconv_out_h() const { return stride_h * (height - 1) + extent_h() - 2 * pad_h; }
  int deconv_out_w() const { return stride_w * (width - 1) + extent_w() - 2 * pad_w; }

  // The layer's prototxt, with the per-axis _h/_w fields.
  std::string prototxt(const std::string& type) const {
    auto f = [](const char* k, int v) { return std::string(" ") + k + ": " + std::to_string(v); };
    return "type: '" + type + "' convolution_param {" + f("num_output", num_output) +
           f("kernel_h", kernel_h) + f("kernel_w", kernel_w) + f("pad_h", pad_h) +
           f("pad_w", pad_w) + f("stride_h", stride_h) + f("stride_w", stride_w) +
           f("dilation", dilation_h) + f("dilation", dilation_w) + f("group", group) +
           " bias_term: " + (bias ? "true" : "false") + " }";
  }
};

// y = conv(x) with weights (num_output, C/group, kh, kw); y is N x num_output x OH x OW.
inline std::vector<float> conv_reference(const ConvSpec& s, const float* x, const float* w,
                                         const float* b) {
  const int OH = s.conv_out_h(), OW = s.conv_out_w();
  const int cg = s.channels / s.group, og = s.num_output / s.group;
  std::vector<float> y(size_t(s.num) * s.num_output * OH * OW);
  for (int n = 0; n < s.num; ++n)
    for (int o = 0; o < s.num_output; ++o)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          double acc = s.bias ? b[o] : 0.0;
          const int g = o / og;
          for (int ci = 0; ci < cg; ++ci)
            for (int i = 0; i < s.kernel_h; ++i)
              for (int j = 0; j < s.kernel_w; ++j) {
                const int iy = oy * s.stride_h - s.pad_h + i * s.dilation_h;
                const int ix = ox * s.stride_w - s.pad_w + j * s.dilation_w;
                if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                const int c = g * cg + ci;
                acc += double(w[((size_t(o) * cg + ci) * s.kernel_h + i) * s.kernel_w + j]) *
                       x[((size_t(n) * s.channels + c) * s.height + iy) * s.width + ix];
              }
          y[((size_t(n) * s.num_output + o) * OH + oy) * OW + ox] = float(acc);
        }
  return y;
}

// y = deconv(x): every input pixel scatters its kernel-weighted value into the
// output; weights (C, num_output/group, kh, kw); y is N x num_output x OH x OW.
inline std::vector<float> deconv_reference(const ConvSpec& s, const float* x, const float* w,
                                           const float* b) {
  const int OH = s.deconv_out_h(), OW = s.deconv_out_w();
  const int cg = s.channels / s.group, og = s.num_output / s.group;
  std::vector<double> acc(size_t(s.num) * s.num_output * OH * OW, 0.0);
  for (int n = 0; n < s.num; ++n)
    for (int c = 0; c < s.channels; ++c)
      for (int iy = 0; iy < s.height; ++iy)
        for (int ix = 0; ix < s.width; ++ix) {
          const double v = x[((size_t(n) * s.channels + c) * s.height + iy) * s.width + ix];
          const int g = c / cg;
          for (int oi = 0; oi < og; ++oi)
            for (int i = 0; i < s.kernel_h; ++i)
              for (int j = 0; j < s.kernel_w; ++j) {
                const int oy = iy * s.stride_h - s.pad_h + i * s.dilation_h;
                const int ox = ix * s.stride_w - s.pad_w + j * s.dilation_w;
                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                const int o = g * og + oi;
                acc[((size_t(n) * s.num_output + o) * OH + oy) * OW + ox] +=
                    v * w[((size_t(c) * og + oi) * s.kernel_h + i) * s.kernel_w + j];
              }
        }
  std::vector<float> y(acc.size());
  const size_t plane = size_t(OH) * OW;
  for (size_t k = 0; k < acc.size(); ++k)
    y[k] = float(acc[k] + (s.bias ? b[k / plane % s.num_output] : 0.0));
  return y;
}

}  // namespace cortado::test::vision
