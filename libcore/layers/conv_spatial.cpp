#include "layers/conv_spatial.hpp"

#include "util/error.hpp"

namespace cortado {
namespace {

// Fills out[2] (h, w) from a repeated field holding one value for every spatial
// axis or one per axis. A 1-d layer keeps `identity` on the h axis.
template <class Field>
void read_dims(const Field& f, const std::string& name, int fallback, int identity, int num_spatial,
               const std::string& where, int out[2]) {
  const int n = f.size();
  if (n == 0 && fallback < 0) throw Error(where, name + " must be given");
  if (n != 0 && n != 1 && n != num_spatial)
    throw Error(where, name + " has " + std::to_string(n) + " values; expected 1 or " +
                           std::to_string(num_spatial) + " (one per spatial axis)");
  for (int d = 0; d < num_spatial; ++d) {
    const int v = n == 0 ? fallback : static_cast<int>(f.Get(n == 1 ? 0 : d));
    out[2 - num_spatial + d] = v;
  }
  if (num_spatial == 1) out[0] = identity;
}

}  // namespace

ConvSpatial ConvSpatial::read(const caffe::ConvolutionParameter& p, const Blob& bottom,
                              const std::string& w) {
  ConvSpatial s;
  const int axes = bottom.num_axes();
  if (p.axis() < -axes || p.axis() >= axes)
    throw Error(w, "axis " + std::to_string(p.axis()) + " is out of range for a bottom of shape " +
                       bottom.shape_string());
  s.axis = p.axis() < 0 ? p.axis() + axes : p.axis();
  s.num_spatial = axes - s.axis - 1;
  if (s.num_spatial != 1 && s.num_spatial != 2)
    throw Error(w, "supports 1 or 2 spatial axes after the channel axis, got " +
                       std::to_string(s.num_spatial) + " (bottom shape " + bottom.shape_string() +
                       ")");
  // The _h/_w pair of `name` instead of the repeated field `repeated`. Kernel and
  // stride have no default, so both halves are needed; pad_h/pad_w default to 0.
  auto pair = [&](bool has_h, bool has_w, int h, int wv, int repeated_count,
                  const std::string& name, const std::string& repeated, int out[2]) {
    const std::string hw = name + "_h/" + name + "_w";
    if (s.num_spatial != 2) throw Error(w, hw + " need 2 spatial axes; use " + repeated);
    if (name != "pad" && (!has_h || !has_w))
      throw Error(w, name + "_h and " + name + "_w must be given together");
    if (repeated_count > 0) throw Error(w, "give either " + repeated + " or " + hw + ", not both");
    out[0] = h;
    out[1] = wv;
  };
  if (p.has_kernel_h() || p.has_kernel_w())
    pair(p.has_kernel_h(), p.has_kernel_w(), p.kernel_h(), p.kernel_w(), p.kernel_size_size(),
         "kernel", "kernel_size", s.kernel);
  else
    read_dims(p.kernel_size(), "kernel_size", -1, 1, s.num_spatial, w, s.kernel);
  if (p.has_stride_h() || p.has_stride_w())
    pair(p.has_stride_h(), p.has_stride_w(), p.stride_h(), p.stride_w(), p.stride_size(), "stride",
         "stride", s.stride);
  else
    read_dims(p.stride(), "stride", 1, 1, s.num_spatial, w, s.stride);
  if (p.has_pad_h() || p.has_pad_w())
    pair(p.has_pad_h(), p.has_pad_w(), p.pad_h(), p.pad_w(), p.pad_size(), "pad", "pad", s.pad);
  else
    read_dims(p.pad(), "pad", 0, 0, s.num_spatial, w, s.pad);
  read_dims(p.dilation(), "dilation", 1, 1, s.num_spatial, w, s.dilation);
  for (int d = 0; d < 2; ++d) {
    if (s.kernel[d] <= 0) throw Error(w, "kernel dimensions must be positive");
    if (s.stride[d] <= 0) throw Error(w, "stride must be positive");
    if (s.dilation[d] <= 0) throw Error(w, "dilation must be positive");
    if (s.pad[d] < 0) throw Error(w, "pad must not be negative");
  }
  return s;
}

int ConvSpatial::out_size(int d, int in) const {
  const int extent = dilation[d] * (kernel[d] - 1) + 1;
  return in + 2 * pad[d] >= extent ? (in + 2 * pad[d] - extent) / stride[d] + 1 : 0;
}

std::string ConvSpatial::text() const {
  return "kernel " + dims_text(kernel, num_spatial) + " (dilation " +
         dims_text(dilation, num_spatial) + ", pad " + dims_text(pad, num_spatial) + ", stride " +
         dims_text(stride, num_spatial) + ")";
}

std::string dims_text(const int d[2], int num_spatial) {
  return num_spatial == 2 ? std::to_string(d[0]) + "x" + std::to_string(d[1])
                          : std::to_string(d[1]);
}

}  // namespace cortado
