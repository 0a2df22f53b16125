#include "layers/conv_base.hpp"

#include <omp.h>

#include <Eigen/Core>

#include "layers/learnable_blobs.hpp"
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

}  // namespace

void ConvBaseLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  const auto& p = param_.convolution_param();
  spatial_ = ConvSpatial::read(p, *bottom[0], where());
  const ConvSpatial& s = spatial_;
  is_1x1_ = s.kernel[0] == 1 && s.kernel[1] == 1 && s.stride[0] == 1 && s.stride[1] == 1 &&
            s.pad[0] == 0 && s.pad[1] == 0;
  if (!p.has_num_output() || p.num_output() == 0)
    throw Error(where(), "num_output must be given and positive");
  if (p.group() == 0) throw Error(where(), "group must be positive");
  channels_ = bottom[0]->shape(spatial_.axis);
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
  make_or_check_weights();
}

static std::vector<int> weight_shape(int out, int in_per_group, const int kernel[2],
                                     int num_spatial) {
  std::vector<int> s = {out, in_per_group};
  for (int d = 2 - num_spatial; d < 2; ++d) s.push_back(kernel[d]);
  return s;
}

void ConvBaseLayer::make_or_check_weights() {
  const auto& p = param_.convolution_param();
  std::vector<BlobSpec> specs = {{"weight",
                                  weight_shape(conv_out_channels_, conv_in_channels_ / group_,
                                               spatial_.kernel, spatial_.num_spatial),
                                  &p.weight_filler()}};
  if (bias_term_) specs.push_back({"bias", {num_output_}, &p.bias_filler()});
  make_or_check_blobs(blobs_, specs, where());
}

void ConvBaseLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const ConvSpatial& s = spatial_;
  const Blob& b0 = *bottom[0];
  if (b0.num_axes() != s.axis + 1 + s.num_spatial)
    throw Error(where(), "bottom shape " + b0.shape_string() + " has " +
                             std::to_string(b0.num_axes()) + " axes; expected " +
                             std::to_string(s.axis + 1 + s.num_spatial));
  if (b0.shape(s.axis) != channels_)
    throw Error(where(), "bottom has " + std::to_string(b0.shape(s.axis)) + " channels; expected " +
                             std::to_string(channels_));
  for (const Blob* b : bottom)
    if (b->shape() != b0.shape())
      throw Error(where(), "all bottoms must have the same shape: " + b0.shape_string() + " vs " +
                               b->shape_string());
  const int in[2] = {s.num_spatial == 2 ? b0.shape(s.axis + 1) : 1, b0.shape(-1)};
  int out[2];
  for (int d = 0; d < 2; ++d) {
    const int extent = s.dilation[d] * (s.kernel[d] - 1) + 1;
    out[d] = reverse() ? s.stride[d] * (in[d] - 1) + extent - 2 * s.pad[d] : s.out_size(d, in[d]);
    if (out[d] < 1)
      throw Error(where(), s.text() + " gives no output for input " + dims_text(in, s.num_spatial));
  }
  std::vector<int> top_shape(b0.shape().begin(), b0.shape().begin() + s.axis);
  top_shape.push_back(num_output_);
  for (int d = 2 - s.num_spatial; d < 2; ++d) top_shape.push_back(out[d]);
  for (Blob* t : top) t->reshape(top_shape);

  num_ = b0.count(0, s.axis);
  bottom_dim_ = b0.count(s.axis);
  top_spatial_ = out[0] * out[1];
  top_dim_ = num_output_ * top_spatial_;
  const int* image = reverse() ? out : in;
  const int* cols = reverse() ? in : out;
  geom_ = ConvGeometry{conv_in_channels_, image[0], image[1],    s.kernel[0], s.kernel[1],
                       s.pad[0],          s.pad[1], s.stride[0], s.stride[1], s.dilation[0],
                       s.dilation[1],     cols[0],  cols[1]};

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
