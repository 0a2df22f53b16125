#pragma once
// convolution_param's spatial part, read one way for Convolution, Deconvolution and
// Im2col: the channel axis, 1 or 2 spatial axes after it, and kernel / stride / pad /
// dilation as (h, w) pairs; a 1-d layer runs as 2-d of height 1.
#include <string>

#include "blob/blob.hpp"
#include "caffe.pb.h"

namespace cortado {

struct ConvSpatial {
  int axis = 1;
  int num_spatial = 2;
  int kernel[2] = {1, 1}, stride[2] = {1, 1}, pad[2] = {0, 0}, dilation[2] = {1, 1};

  // Reads `p` for a bottom like `bottom`; errors name `where`.
  static ConvSpatial read(const caffe::ConvolutionParameter& p, const Blob& bottom,
                          const std::string& where);
  // The output size along h (d = 0) or w (d = 1) of a convolution over `in` values;
  // 0 when the dilated kernel does not fit the padded input.
  int out_size(int d, int in) const;
  // "kernel 3x3 (dilation 1x1, pad 0x0, stride 1x1)", for errors.
  std::string text() const;
};

// "5x5" for 2 spatial axes, "5" for 1 (d[1] only).
std::string dims_text(const int d[2], int num_spatial);

}  // namespace cortado
