#include "layers/lrn.hpp"

#include <Eigen/Core>
#include <vector>

#include "math/parallel.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

}  // namespace

bool LRNLayer::across() const {
  return param_.lrn_param().norm_region() == caffe::LRNParameter::ACROSS_CHANNELS;
}

void LRNLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.lrn_param();
  size_ = static_cast<int>(p.local_size());
  if (size_ % 2 != 1) throw Error(where(), "local_size must be odd, got " + std::to_string(size_));
  alpha_ = p.alpha();
  beta_ = p.beta();
  k_ = p.k();
}

void LRNLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& b = *bottom[0];
  if (b.num_axes() != 4)
    throw Error(where(), "bottom must have 4 axes (N x C x H x W), got shape " + b.shape_string());
  channels_ = b.shape(1);
  height_ = b.shape(2);
  width_ = b.shape(3);
  top[0]->reshape_like(b);
  scale_.reshape_like(b);
}

void LRNLayer::apply_scale(const float* x, const float* scale, float* y, long count) const {
  ConstArrayMap s(scale, count), xs(x, count);
  ArrayMap ys(y, count);
  if (beta_ == 0.75f)  // AlexNet's value: s^-3/4 = r * sqrt(r) with r = s^-1/2, no pow needed
    ys = xs * s.rsqrt() * s.rsqrt().sqrt();
  else
    ys = xs * (-beta_ * s.log()).exp();
}

void LRNLayer::channel_window_sum(const float* in, float* out, float* acc) const {
  const int plane = height_ * width_, half = (size_ - 1) / 2;
  ArrayMap a(acc, plane);
  a.setZero();
  for (int c = 0; c < std::min(half, channels_); ++c)
    a += ConstArrayMap(in + long(c) * plane, plane);
  for (int c = 0; c < channels_; ++c) {
    // Window [c - half, c + half]: add the plane entering, write, drop the one leaving.
    if (c + half < channels_) a += ConstArrayMap(in + long(c + half) * plane, plane);
    ArrayMap(out + long(c) * plane, plane) = a;
    if (c - half >= 0) a -= ConstArrayMap(in + long(c - half) * plane, plane);
  }
}

void LRNLayer::box_sum(const float* in, float* out, float* tmp) const {
  const int half = (size_ - 1) / 2;
  for (int h = 0; h < height_; ++h)
    for (int w = 0; w < width_; ++w) {
      float s = 0.f;
      for (int j = std::max(0, w - half); j <= std::min(width_ - 1, w + half); ++j)
        s += in[h * width_ + j];
      tmp[h * width_ + w] = s;
    }
  for (int h = 0; h < height_; ++h) {
    float* dst = out + h * width_;
    std::fill(dst, dst + width_, 0.f);
    for (int i = std::max(0, h - half); i <= std::min(height_ - 1, h + half); ++i)
      for (int w = 0; w < width_; ++w) dst[w] += tmp[i * width_ + w];
  }
}

void LRNLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  float* scale = scale_.mutable_data();
  const int plane = height_ * width_, num = bottom[0]->shape(0);
  const bool acr = across();
  // One unit of work: a sample (across channels) or a plane (within a channel).
  const int units = acr ? num : num * channels_;
  const long unit = acr ? long(channels_) * plane : plane;
#pragma omp parallel if (long(units) * unit >= kParallelMin)
  {
    std::vector<float> sq(unit), tmp(plane);
#pragma omp for schedule(static)
    for (int u = 0; u < units; ++u) {
      const long off = long(u) * unit;
      ArrayMap(sq.data(), unit) = ConstArrayMap(x + off, unit).square();
      ArrayMap s(scale + off, unit);
      if (acr) {
        channel_window_sum(sq.data(), scale + off, tmp.data());
        s = k_ + (alpha_ / size_) * s;
      } else {
        box_sum(sq.data(), scale + off, tmp.data());
        s = 1.f + (alpha_ / (size_ * size_)) * s;
      }
      apply_scale(x + off, scale + off, y + off, unit);
    }
  }
}

// dx = dy * scale^-beta - (2 alpha beta / d) * x * W(dy * y / scale), where W is
// the same window sum as forward (symmetric, so it is its own adjoint) and d is
// n (across) or n^2 (within).
void LRNLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* x = bottom[0]->data();
  const float* y = top[0]->data();
  const float* dy = top[0]->diff();
  const float* scale = scale_.data();
  float* dx = bottom[0]->mutable_diff();
  const int plane = height_ * width_, num = bottom[0]->shape(0);
  const bool acr = across();
  const int units = acr ? num : num * channels_;
  const long unit = acr ? long(channels_) * plane : plane;
  const float coeff = 2.f * alpha_ * beta_ / (acr ? size_ : size_ * size_);
#pragma omp parallel if (long(units) * unit >= kParallelMin)
  {
    std::vector<float> ratio(unit), summed(unit), tmp(plane);
#pragma omp for schedule(static)
    for (int u = 0; u < units; ++u) {
      const long off = long(u) * unit;
      ArrayMap(ratio.data(), unit) = ConstArrayMap(dy + off, unit) * ConstArrayMap(y + off, unit) /
                                     ConstArrayMap(scale + off, unit);
      if (acr)
        channel_window_sum(ratio.data(), summed.data(), tmp.data());
      else
        box_sum(ratio.data(), summed.data(), tmp.data());
      apply_scale(dy + off, scale + off, dx + off, unit);
      ArrayMap(dx + off, unit) -=
          coeff * ConstArrayMap(x + off, unit) * ArrayMap(summed.data(), unit);
    }
  }
}

}  // namespace cortado
