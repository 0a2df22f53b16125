#include "layers/conv_base.hpp"

#include <omp.h>

#include <Eigen/Core>

#include "layers/filler.hpp"
#include "math/gemm.hpp"
#include "math/parallel.hpp"
#include "math/threads.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {

// A thread's column and gathered-output buffers stay under this many floats
// (512 KB each) unless one sample needs more: small images batch a few samples
// into one GEMM, and the columns are still in L2 cache when the GEMM reads them.
// (Measured on LeNet's conv2: 2-4 samples per GEMM beat the whole batch of 64.)
constexpr long kChunkBudget = 1 << 17;

std::string dims_text(const int d[2], int num_spatial) {
  return num_spatial == 2 ? std::to_string(d[0]) + "x" + std::to_string(d[1])
                          : std::to_string(d[1]);
}

}  // namespace

// Fills out[2] (h, w) from a repeated field holding one value for every spatial
// axis or one per axis. A 1-d convolution keeps `identity` on the h axis.
template <class Field>
static void read_dims(const Field& f, const std::string& name, int fallback, int identity,
                      int num_spatial, const std::string& where, int out[2]) {
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

void ConvBaseLayer::read_geometry() {
  const auto& p = param_.convolution_param();
  const std::string w = where();
  // The _h/_w pair of `name` instead of the repeated field `repeated`. Kernel and
  // stride have no default, so both halves are needed; pad_h/pad_w default to 0.
  auto pair = [&](bool has_h, bool has_w, int h, int wv, int repeated_count,
                  const std::string& name, const std::string& repeated, int out[2]) {
    const std::string hw = name + "_h/" + name + "_w";
    if (num_spatial_ != 2) throw Error(w, hw + " need 2 spatial axes; use " + repeated);
    if (name != "pad" && (!has_h || !has_w))
      throw Error(w, name + "_h and " + name + "_w must be given together");
    if (repeated_count > 0) throw Error(w, "give either " + repeated + " or " + hw + ", not both");
    out[0] = h;
    out[1] = wv;
  };
  if (p.has_kernel_h() || p.has_kernel_w())
    pair(p.has_kernel_h(), p.has_kernel_w(), p.kernel_h(), p.kernel_w(), p.kernel_size_size(),
         "kernel", "kernel_size", kernel_);
  else
    read_dims(p.kernel_size(), "kernel_size", -1, 1, num_spatial_, w, kernel_);
  if (p.has_stride_h() || p.has_stride_w())
    pair(p.has_stride_h(), p.has_stride_w(), p.stride_h(), p.stride_w(), p.stride_size(), "stride",
         "stride", stride_);
  else
    read_dims(p.stride(), "stride", 1, 1, num_spatial_, w, stride_);
  if (p.has_pad_h() || p.has_pad_w())
    pair(p.has_pad_h(), p.has_pad_w(), p.pad_h(), p.pad_w(), p.pad_size(), "pad", "pad", pad_);
  else
    read_dims(p.pad(), "pad", 0, 0, num_spatial_, w, pad_);
  read_dims(p.dilation(), "dilation", 1, 1, num_spatial_, w, dilation_);
  for (int d = 0; d < 2; ++d) {
    if (kernel_[d] <= 0) throw Error(w, "kernel dimensions must be positive");
    if (stride_[d] <= 0) throw Error(w, "stride must be positive");
    if (dilation_[d] <= 0) throw Error(w, "dilation must be positive");
    if (pad_[d] < 0) throw Error(w, "pad must not be negative");
  }
  is_1x1_ = kernel_[0] == 1 && kernel_[1] == 1 && stride_[0] == 1 && stride_[1] == 1 &&
            pad_[0] == 0 && pad_[1] == 0;
}

void ConvBaseLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  const auto& p = param_.convolution_param();
  const int axes = bottom[0]->num_axes();
  if (p.axis() < -axes || p.axis() >= axes)
    throw Error(where(), "axis " + std::to_string(p.axis()) +
                             " is out of range for a bottom of shape " + bottom[0]->shape_string());
  axis_ = p.axis() < 0 ? p.axis() + axes : p.axis();
  num_spatial_ = axes - axis_ - 1;
  if (num_spatial_ != 1 && num_spatial_ != 2)
    throw Error(where(), "supports 1 or 2 spatial axes after the channel axis, got " +
                             std::to_string(num_spatial_) + " (bottom shape " +
                             bottom[0]->shape_string() + ")");
  read_geometry();
  if (!p.has_num_output() || p.num_output() == 0)
    throw Error(where(), "num_output must be given and positive");
  if (p.group() == 0) throw Error(where(), "group must be positive");
  channels_ = bottom[0]->shape(axis_);
  num_output_ = static_cast<int>(p.num_output());
  group_ = static_cast<int>(p.group());
  if (channels_ % group_ != 0)
    throw Error(where(), "the bottom's " + std::to_string(channels_) +
                             " channels are not divisible by group " + std::to_string(group_));
  if (num_output_ % group_ != 0)
    throw Error(where(), "num_output " + std::to_string(num_output_) +
                             " is not divisible by group " + std::to_string(group_));
  conv_in_channels_ = reverse() ? num_output_ : channels_;
  conv_out_channels_ = reverse() ? channels_ : num_output_;
  bias_term_ = p.bias_term();
  if (blobs_.empty())
    make_blobs();
  else
    check_blobs();
}

static std::vector<int> weight_shape(int out, int in_per_group, const int kernel[2],
                                     int num_spatial) {
  std::vector<int> s = {out, in_per_group};
  for (int d = 2 - num_spatial; d < 2; ++d) s.push_back(kernel[d]);
  return s;
}

void ConvBaseLayer::make_blobs() {
  const auto& p = param_.convolution_param();
  blobs_.push_back(std::make_shared<Blob>(
      weight_shape(conv_out_channels_, conv_in_channels_ / group_, kernel_, num_spatial_)));
  fill_blob(p.weight_filler(), *blobs_[0]);
  if (bias_term_) {
    blobs_.push_back(std::make_shared<Blob>(std::vector<int>{num_output_}));
    fill_blob(p.bias_filler(), *blobs_[1]);
  }
}

void ConvBaseLayer::check_blobs() const {
  const size_t want = bias_term_ ? 2 : 1;
  if (blobs_.size() != want)
    throw Error(where(), "expected " + std::to_string(want) + " parameter blobs, got " +
                             std::to_string(blobs_.size()));
  const auto ws =
      weight_shape(conv_out_channels_, conv_in_channels_ / group_, kernel_, num_spatial_);
  if (blobs_[0]->shape() != ws)
    throw Error(where(), "weight shape " + blobs_[0]->shape_string() +
                             " does not match the expected " + shape_string(ws));
  if (bias_term_ && blobs_[1]->shape() != std::vector<int>{num_output_})
    throw Error(where(), "bias shape " + blobs_[1]->shape_string() +
                             " does not match the expected " + shape_string({num_output_}));
}

void ConvBaseLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& b0 = *bottom[0];
  if (b0.num_axes() != axis_ + 1 + num_spatial_)
    throw Error(where(), "bottom shape " + b0.shape_string() + " has " +
                             std::to_string(b0.num_axes()) + " axes; expected " +
                             std::to_string(axis_ + 1 + num_spatial_));
  if (b0.shape(axis_) != channels_)
    throw Error(where(), "bottom has " + std::to_string(b0.shape(axis_)) + " channels; expected " +
                             std::to_string(channels_));
  for (const Blob* b : bottom)
    if (b->shape() != b0.shape())
      throw Error(where(), "all bottoms must have the same shape: " + b0.shape_string() + " vs " +
                               b->shape_string());
  const int in[2] = {num_spatial_ == 2 ? b0.shape(axis_ + 1) : 1, b0.shape(-1)};
  int out[2];
  for (int d = 0; d < 2; ++d) {
    const int extent = dilation_[d] * (kernel_[d] - 1) + 1;
    out[d] =
        reverse()
            ? stride_[d] * (in[d] - 1) + extent - 2 * pad_[d]
            : (in[d] + 2 * pad_[d] >= extent ? (in[d] + 2 * pad_[d] - extent) / stride_[d] + 1 : 0);
    if (out[d] < 1)
      throw Error(where(), "kernel " + dims_text(kernel_, num_spatial_) + " (dilation " +
                               dims_text(dilation_, num_spatial_) + ", pad " +
                               dims_text(pad_, num_spatial_) + ", stride " +
                               dims_text(stride_, num_spatial_) + ") gives no output for input " +
                               dims_text(in, num_spatial_));
  }
  std::vector<int> top_shape(b0.shape().begin(), b0.shape().begin() + axis_);
  top_shape.push_back(num_output_);
  for (int d = 2 - num_spatial_; d < 2; ++d) top_shape.push_back(out[d]);
  for (Blob* t : top) t->reshape(top_shape);

  num_ = b0.count(0, axis_);
  bottom_dim_ = b0.count(axis_);
  top_spatial_ = out[0] * out[1];
  top_dim_ = num_output_ * top_spatial_;
  const int* image = reverse() ? out : in;
  const int* cols = reverse() ? in : out;
  geom_ = ConvGeometry{conv_in_channels_, image[0], image[1],   kernel_[0], kernel_[1],
                       pad_[0],           pad_[1],  stride_[0], stride_[1], dilation_[0],
                       dilation_[1],      cols[0],  cols[1]};

  plan_chunks();
}

void ConvBaseLayer::plan_chunks() {
  const int threads = cpu_threads();
  const long sp = geom_.col_spatial();
  const long per_sample = std::max<long>(geom_.col_rows(), conv_out_channels_) * sp;
  // Side by side when every thread gets a sample.
  side_by_side_ = threads > 1 && num_ >= threads ? threads : 1;
  const long budget = std::max(per_sample, kChunkBudget);
  const int max_chunk =
      static_cast<int>(std::max<long>(1, std::min<long>(num_, budget / per_sample)));
  int chunks = std::max(1, (num_ + max_chunk - 1) / max_chunk);
  chunks =
      std::min(std::max(num_, 1), (chunks + side_by_side_ - 1) / side_by_side_ * side_by_side_);
  chunk_ = std::max(1, (num_ + chunks - 1) / chunks);

  const size_t col_need = is_1x1_ && chunk_ == 1 ? 0 : size_t(geom_.col_rows()) * chunk_ * sp;
  const size_t out_need = chunk_ == 1 ? 0 : size_t(conv_out_channels_) * chunk_ * sp;
  work_.resize(side_by_side_);
  for (Workspace& ws : work_) {
    if (ws.col.size() < col_need) ws.col.resize(col_need);
    if (ws.out.size() < out_need) ws.out.resize(out_need);
  }
}

void ConvBaseLayer::for_chunks(const ChunkFn& f, float* dweights) {
  const int chunks = (num_ + chunk_ - 1) / chunk_;
  if (side_by_side_ == 1) {
    for (int c = 0; c < chunks; ++c)
      f(c * chunk_, std::min(chunk_, num_ - c * chunk_), work_[0], dweights);
    return;
  }
  // Every buffer is cleared here, not by its thread: OpenMP may start fewer threads
  // (inside another parallel region, say) and an unused buffer must add nothing.
  const size_t wcount = dweights ? size_t(blobs_[0]->count()) : 0;
  if (dweights)
    for (Workspace& ws : work_) ws.dweights.assign(wcount, 0.f);
#pragma omp parallel num_threads(side_by_side_)
  {
    Workspace& ws = work_[omp_get_thread_num()];
    float* dw = dweights ? ws.dweights.data() : nullptr;
#pragma omp for schedule(static)
    for (int c = 0; c < chunks; ++c) f(c * chunk_, std::min(chunk_, num_ - c * chunk_), ws, dw);
  }
  // Summed in thread order, so a fixed thread count gives fixed results.
  if (dweights) {
    Eigen::Map<Eigen::ArrayXf> total(dweights, long(wcount));
    for (const Workspace& ws : work_)
      total += Eigen::Map<const Eigen::ArrayXf>(ws.dweights.data(), long(wcount));
  }
}

const float* ConvBaseLayer::columns(const float* im, int num, Workspace& ws) {
  if (is_1x1_) {
    if (num == 1) return im;
    to_channel_major(im, num, conv_in_channels_, geom_.col_spatial(), ws.col.data());
  } else {
    im2col(geom_, im, num, ws.col.data());
  }
  return ws.col.data();
}

const float* ConvBaseLayer::gathered(const float* out, int num, Workspace& ws) {
  if (num == 1) return out;
  to_channel_major(out, num, conv_out_channels_, geom_.col_spatial(), ws.out.data());
  return ws.out.data();
}

// Per group g: rows [g*M, (g+1)*M) of W and of the output, rows [g*K, (g+1)*K)
// of the columns, where M = conv_out/group and K = conv_in/group * kernel size.
void ConvBaseLayer::forward_gemm(const float* col, const float* weights, float* out, int num,
                                 Workspace& ws) {
  const int M = conv_out_channels_ / group_, K = geom_.col_rows() / group_;
  const int ld = num * geom_.col_spatial();
  float* o = num == 1 ? out : ws.out.data();
  for (int g = 0; g < group_; ++g)
    gemm(Trans::no, Trans::no, M, ld, K, 1.f, weights + long(g) * M * K, col + long(g) * K * ld,
         0.f, o + long(g) * M * ld);
  if (num > 1) from_channel_major(o, num, conv_out_channels_, geom_.col_spatial(), out);
}

void ConvBaseLayer::backward_gemm(const float* out, const float* weights, float* im, int num,
                                  Workspace& ws) {
  const int M = conv_out_channels_ / group_, K = geom_.col_rows() / group_;
  const int ld = num * geom_.col_spatial();
  const float* o = gathered(out, num, ws);
  float* col = is_1x1_ && num == 1 ? im : ws.col.data();
  for (int g = 0; g < group_; ++g)
    gemm(Trans::yes, Trans::no, K, ld, M, 1.f, weights + long(g) * M * K, o + long(g) * M * ld, 0.f,
         col + long(g) * K * ld);
  if (col == im) return;
  if (is_1x1_)
    from_channel_major(col, num, conv_in_channels_, geom_.col_spatial(), im);
  else
    col2im(geom_, col, num, im);
}

void ConvBaseLayer::weight_gemm(const float* col, const float* out, float* dweights, int num,
                                Workspace& ws) {
  const int M = conv_out_channels_ / group_, K = geom_.col_rows() / group_;
  const int ld = num * geom_.col_spatial();
  const float* o = gathered(out, num, ws);
  for (int g = 0; g < group_; ++g)
    gemm(Trans::no, Trans::yes, M, K, ld, 1.f, o + long(g) * M * ld, col + long(g) * K * ld, 1.f,
         dweights + long(g) * M * K);
}

void ConvBaseLayer::add_bias(float* top, const float* bias) const {
  const int planes = num_ * num_output_, sp = top_spatial_;
#pragma omp parallel for schedule(static) if (long(planes) * sp >= kParallelMin)
  for (int q = 0; q < planes; ++q) {
    const float b = bias[q % num_output_];
    float* p = top + long(q) * sp;
    for (int i = 0; i < sp; ++i) p[i] += b;
  }
}

void ConvBaseLayer::bias_gradient(const float* top_diff, float* dbias) const {
  const int sp = top_spatial_;
#pragma omp parallel for schedule(static) if (long(num_) * top_dim_ >= kParallelMin)
  for (int o = 0; o < num_output_; ++o) {
    float sum = 0.f;
    for (int n = 0; n < num_; ++n)
      sum +=
          Eigen::Map<const Eigen::ArrayXf>(top_diff + long(n) * top_dim_ + long(o) * sp, sp).sum();
    dbias[o] += sum;
  }
}

}  // namespace cortado
