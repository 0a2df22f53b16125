#include "layers/im2col.hpp"

#include <string>

#include "util/error.hpp"

namespace cortado {

void Im2colLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  spatial_ = ConvSpatial::read(param_.convolution_param(), *bottom[0], where());
}

void Im2colLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const ConvSpatial& s = spatial_;
  const Blob& b = *bottom[0];
  if (b.num_axes() != s.axis + 1 + s.num_spatial)
    throw Error(where(), "bottom shape " + b.shape_string() + " has " +
                             std::to_string(b.num_axes()) + " axes; expected " +
                             std::to_string(s.axis + 1 + s.num_spatial));
  const int in[2] = {s.num_spatial == 2 ? b.shape(s.axis + 1) : 1, b.shape(-1)};
  const int out[2] = {s.out_size(0, in[0]), s.out_size(1, in[1])};
  if (out[0] < 1 || out[1] < 1)
    throw Error(where(), s.text() + " gives no output for input " + dims_text(in, s.num_spatial));
  geom_ = ConvGeometry{b.shape(s.axis), in[0],    in[1],       s.kernel[0], s.kernel[1],
                       s.pad[0],        s.pad[1], s.stride[0], s.stride[1], s.dilation[0],
                       s.dilation[1],   out[0],   out[1]};
  std::vector<int> shape(b.shape().begin(), b.shape().begin() + s.axis);
  shape.push_back(geom_.col_rows());
  for (int d = 2 - s.num_spatial; d < 2; ++d) shape.push_back(out[d]);
  top[0]->reshape(shape);
  num_ = b.count(0, s.axis);
}

void Im2colLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const long in = geom_.image_count(), out = long(geom_.col_rows()) * geom_.col_spatial();
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  // One item's column matrix is exactly its top item; im2col parallelizes inside.
  for (int n = 0; n < num_; ++n) im2col(geom_, x + n * in, 1, y + n * out);
}

void Im2colLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const long in = geom_.image_count(), out = long(geom_.col_rows()) * geom_.col_spatial();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  // col2im overwrites each image with the sum of the entries read from each pixel.
  for (int n = 0; n < num_; ++n) col2im(geom_, dy + n * out, 1, dx + n * in);
}

}  // namespace cortado
