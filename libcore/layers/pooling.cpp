#include "layers/pooling.hpp"

#include <algorithm>
#include <cfloat>

#include "math/parallel.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {

// Output size along one axis (Caffe's rule, see pooling.hpp).
int pooled_size(int in, int k, int pad, int stride, bool ceil_mode) {
  const int span = in + 2 * pad - k;
  int out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (pad > 0 && (out - 1) * stride >= in + pad) --out;
  return out;
}

}  // namespace

std::vector<PoolingLayer::Span> PoolingLayer::spans(int out, int k, int pad, int stride, int in) {
  std::vector<Span> v(out);
  for (int o = 0; o < out; ++o) {
    const int s = o * stride - pad;
    const int padded_end = std::min(s + k, in + pad);
    v[o] = {std::max(s, 0), std::min(padded_end, in), padded_end - s};
  }
  return v;
}

bool PoolingLayer::is_max() const {
  return param_.pooling_param().pool() == caffe::PoolingParameter::MAX;
}

void PoolingLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.pooling_param();
  const std::string w = where();
  if (p.pool() == caffe::PoolingParameter::STOCHASTIC)
    throw Error(w, "STOCHASTIC pooling is not supported; use MAX or AVE");
  global_ = p.global_pooling();
  const bool hw = p.has_kernel_h() || p.has_kernel_w();
  if (global_) {
    if (p.has_kernel_size() || hw)
      throw Error(w, "global_pooling takes the kernel from the bottom; do not give kernel_size");
  } else if (hw) {
    if (!p.has_kernel_h() || !p.has_kernel_w())
      throw Error(w, "kernel_h and kernel_w must be given together");
    if (p.has_kernel_size())
      throw Error(w, "give either kernel_size or kernel_h/kernel_w, not both");
    kernel_h_ = static_cast<int>(p.kernel_h());
    kernel_w_ = static_cast<int>(p.kernel_w());
  } else {
    if (!p.has_kernel_size()) throw Error(w, "kernel_size (or kernel_h/kernel_w) must be given");
    kernel_h_ = kernel_w_ = static_cast<int>(p.kernel_size());
  }
  if (!global_ && (kernel_h_ <= 0 || kernel_w_ <= 0))
    throw Error(w, "kernel dimensions must be positive");
  if (p.has_pad_h() || p.has_pad_w()) {
    if (p.has_pad()) throw Error(w, "give either pad or pad_h/pad_w, not both");
    pad_h_ = static_cast<int>(p.pad_h());
    pad_w_ = static_cast<int>(p.pad_w());
  } else {
    pad_h_ = pad_w_ = static_cast<int>(p.pad());
  }
  if (p.has_stride_h() || p.has_stride_w()) {
    if (!p.has_stride_h() || !p.has_stride_w())
      throw Error(w, "stride_h and stride_w must be given together");
    if (p.has_stride()) throw Error(w, "give either stride or stride_h/stride_w, not both");
    stride_h_ = static_cast<int>(p.stride_h());
    stride_w_ = static_cast<int>(p.stride_w());
  } else {
    stride_h_ = stride_w_ = static_cast<int>(p.stride());
  }
  if (stride_h_ <= 0 || stride_w_ <= 0) throw Error(w, "stride must be positive");
  if (global_ && (pad_h_ || pad_w_ || stride_h_ != 1 || stride_w_ != 1))
    throw Error(w, "global_pooling needs pad 0 and stride 1");
  if (!global_ && (pad_h_ >= kernel_h_ || pad_w_ >= kernel_w_))
    throw Error(w, "pad must be smaller than the kernel");
}

void PoolingLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& b = *bottom[0];
  if (b.num_axes() != 4)
    throw Error(where(), "bottom must have 4 axes (N x C x H x W), got shape " + b.shape_string());
  planes_ = b.shape(0) * b.shape(1);
  height_ = b.shape(2);
  width_ = b.shape(3);
  if (global_) {
    kernel_h_ = height_;
    kernel_w_ = width_;
  }
  if (height_ + 2 * pad_h_ < kernel_h_ || width_ + 2 * pad_w_ < kernel_w_)
    throw Error(where(), "kernel " + std::to_string(kernel_h_) + "x" + std::to_string(kernel_w_) +
                             " is larger than the padded bottom (shape " + b.shape_string() + ")");
  const bool ceil_mode = param_.pooling_param().round_mode() == caffe::PoolingParameter::CEIL;
  pooled_h_ = pooled_size(height_, kernel_h_, pad_h_, stride_h_, ceil_mode);
  pooled_w_ = pooled_size(width_, kernel_w_, pad_w_, stride_w_, ceil_mode);
  for (Blob* t : top) t->reshape({b.shape(0), b.shape(1), pooled_h_, pooled_w_});
  rows_ = spans(pooled_h_, kernel_h_, pad_h_, stride_h_, height_);
  cols_ = spans(pooled_w_, kernel_w_, pad_w_, stride_w_, width_);
  if (is_max()) argmax_.resize(size_t(planes_) * pooled_h_ * pooled_w_);
}

void PoolingLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  float* mask = top.size() > 1 ? top[1]->mutable_data() : nullptr;
  if (is_max())
    max_forward(bottom[0]->data(), top[0]->mutable_data(), mask);
  else
    ave_forward(bottom[0]->data(), top[0]->mutable_data());
}

void PoolingLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  if (is_max())
    max_backward(top[0]->diff(), bottom[0]->mutable_diff());
  else
    ave_backward(top[0]->diff(), bottom[0]->mutable_diff());
}

// The loops below copy members into locals first: stores through the float
// pointers could otherwise alias them and force reloads in the inner loops.

// The first maximum of a window wins ties, as in Caffe (strict >, scanning rows
// then columns). Branch-free updates: the comparisons are unpredictable on real data.
static inline void max_scan(const float* src, int W, int h0, int h1, int w0, int w1, float& best,
                            int& best_i) {
  for (int h = h0; h < h1; ++h)
    for (int i = h * W + w0; i < h * W + w1; ++i) {
      const bool gt = src[i] > best;
      best = gt ? src[i] : best;
      best_i = gt ? i : best_i;
    }
}

void PoolingLayer::max_forward(const float* x, float* y, float* mask) {
  const int W = width_, PH = pooled_h_, PW = pooled_w_, planes = planes_;
  const long in_plane = long(height_) * W, out_plane = long(PH) * PW;
  const Span* rows = rows_.data();
  const Span* cols = cols_.data();
  int* argmax = argmax_.data();
#pragma omp parallel for schedule(static) if (planes * in_plane >= kParallelMin)
  for (int q = 0; q < planes; ++q) {
    const float* src = x + q * in_plane;
    float* dst = y + q * out_plane;
    int* arg = argmax + q * out_plane;
    for (int ph = 0; ph < PH; ++ph)
      for (int pw = 0; pw < PW; ++pw) {
        float best = -FLT_MAX;
        int best_i = -1;
        max_scan(src, W, rows[ph].start, rows[ph].end, cols[pw].start, cols[pw].end, best, best_i);
        dst[ph * PW + pw] = best;
        arg[ph * PW + pw] = best_i;
      }
    if (mask)
      for (long o = 0; o < out_plane; ++o) mask[q * out_plane + o] = static_cast<float>(arg[o]);
  }
}

void PoolingLayer::ave_forward(const float* x, float* y) const {
  const int W = width_, PH = pooled_h_, PW = pooled_w_, planes = planes_;
  const long in_plane = long(height_) * W, out_plane = long(PH) * PW;
  const Span* rows = rows_.data();
  const Span* cols = cols_.data();
#pragma omp parallel for schedule(static) if (planes * in_plane >= kParallelMin)
  for (int q = 0; q < planes; ++q) {
    const float* src = x + q * in_plane;
    float* dst = y + q * out_plane;
    for (int ph = 0; ph < PH; ++ph) {
      const Span hs = rows[ph];
      for (int pw = 0; pw < PW; ++pw) {
        const Span ws = cols[pw];
        float sum = 0.f;
        for (int h = hs.start; h < hs.end; ++h)
          for (int w = ws.start; w < ws.end; ++w) sum += src[h * W + w];
        dst[ph * PW + pw] = sum / float(hs.padded * ws.padded);
      }
    }
  }
}

void PoolingLayer::max_backward(const float* dy, float* dx) const {
  const int planes = planes_;
  const long in_plane = long(height_) * width_, out_plane = long(pooled_h_) * pooled_w_;
  const int* argmax = argmax_.data();
#pragma omp parallel for schedule(static) if (planes * in_plane >= kParallelMin)
  for (int q = 0; q < planes; ++q) {
    float* dst = dx + q * in_plane;
    std::fill(dst, dst + in_plane, 0.f);
    const int* arg = argmax + q * out_plane;
    const float* src = dy + q * out_plane;
    for (long o = 0; o < out_plane; ++o)
      if (arg[o] >= 0) dst[arg[o]] += src[o];
  }
}

void PoolingLayer::ave_backward(const float* dy, float* dx) const {
  const int W = width_, PH = pooled_h_, PW = pooled_w_, planes = planes_;
  const long in_plane = long(height_) * W, out_plane = long(PH) * PW;
  const Span* rows = rows_.data();
  const Span* cols = cols_.data();
#pragma omp parallel for schedule(static) if (planes * in_plane >= kParallelMin)
  for (int q = 0; q < planes; ++q) {
    float* dst = dx + q * in_plane;
    std::fill(dst, dst + in_plane, 0.f);
    const float* src = dy + q * out_plane;
    for (int ph = 0; ph < PH; ++ph) {
      const Span hs = rows[ph];
      for (int pw = 0; pw < PW; ++pw) {
        const Span ws = cols[pw];
        const float g = src[ph * PW + pw] / float(hs.padded * ws.padded);
        for (int h = hs.start; h < hs.end; ++h)
          for (int w = ws.start; w < ws.end; ++w) dst[h * W + w] += g;
      }
    }
  }
}

}  // namespace cortado
